//! Embedded migrations, one folder per backend, applied in version order and
//! recorded in `schema_migrations` with a checksum so an edited migration that
//! was already applied is detected instead of silently skipped.

use crate::Backend;

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/sqlite/0001_foundation.sql") },
    Migration { version: 2, name: "access", sql: include_str!("../migrations/sqlite/0002_access.sql") },
    Migration { version: 3, name: "reports", sql: include_str!("../migrations/sqlite/0003_reports.sql") },
    Migration { version: 4, name: "experiments", sql: include_str!("../migrations/sqlite/0004_experiments.sql") },
    Migration {
        version: 5,
        name: "recommendations",
        sql: include_str!("../migrations/sqlite/0005_recommendations.sql"),
    },
    Migration { version: 6, name: "planning", sql: include_str!("../migrations/sqlite/0006_planning.sql") },
    Migration { version: 7, name: "assistant", sql: include_str!("../migrations/sqlite/0007_assistant.sql") },
    Migration { version: 8, name: "marketing", sql: include_str!("../migrations/sqlite/0008_marketing.sql") },
    Migration { version: 9, name: "logistics", sql: include_str!("../migrations/sqlite/0009_logistics.sql") },
    Migration { version: 10, name: "stockouts", sql: include_str!("../migrations/sqlite/0010_stockouts.sql") },
];

const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/postgres/0001_foundation.sql") },
    Migration { version: 2, name: "access", sql: include_str!("../migrations/postgres/0002_access.sql") },
    Migration { version: 3, name: "reports", sql: include_str!("../migrations/postgres/0003_reports.sql") },
    Migration { version: 4, name: "experiments", sql: include_str!("../migrations/postgres/0004_experiments.sql") },
    Migration {
        version: 5,
        name: "recommendations",
        sql: include_str!("../migrations/postgres/0005_recommendations.sql"),
    },
    Migration { version: 6, name: "planning", sql: include_str!("../migrations/postgres/0006_planning.sql") },
    Migration { version: 7, name: "assistant", sql: include_str!("../migrations/postgres/0007_assistant.sql") },
    Migration { version: 8, name: "marketing", sql: include_str!("../migrations/postgres/0008_marketing.sql") },
    Migration { version: 9, name: "logistics", sql: include_str!("../migrations/postgres/0009_logistics.sql") },
    Migration { version: 10, name: "stockouts", sql: include_str!("../migrations/postgres/0010_stockouts.sql") },
];

pub fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// FNV-1a over the SQL text: stable across builds and platforms.
pub(crate) fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Splits a migration into statements at semicolons that end a line, skipping
/// comment-only chunks (the migrations contain no procedural code).
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions() {
        let v = |b| migrations(b).iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(v(Backend::Sqlite), v(Backend::Postgres));
    }

    #[test]
    fn statements_split_on_line_ending_semicolons() {
        let s = statements("-- c\nCREATE TABLE a (x INT);\n\nCREATE INDEX b\n ON a (x);\n");
        assert_eq!(s.len(), 2);
        assert!(s[1].contains("ON a (x);"));
        assert_ne!(checksum("a"), checksum("b"));
    }
}
