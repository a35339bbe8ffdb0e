//! Where the adapter conformance suites find their real backend servers, the
//! browser suite its chromedriver, and the reference-vector tests the shared data.
//!
//! Policy (one place, used by every adapter crate): a backend suite reads its
//! `RETAIL_TEST_*_URL` variable. Without it the suite prints that it was skipped
//! and returns; when `CI=true` a missing variable is a failure instead, so a CI
//! run can never pass while silently skipping PostgreSQL, Redis or NATS.

/// The backend URL from `var`, or `None` (with a printed skip notice) when it is
/// unset outside CI. Panics under `CI=true` when the variable is missing.
pub fn backend_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => {
            record(&format!("backend suite: {var} = {url}"));
            Some(url)
        }
        _ if in_ci() => panic!("{var} is not set but CI=true: backend suites must run in CI"),
        _ => {
            record(&format!("SKIPPED backend suite: {var} is not set"));
            None
        }
    }
}

/// The chromedriver for the browser suite: `$RETAIL_CHROMEDRIVER`, else
/// `/usr/bin/chromedriver` when it exists. Like [`backend_url`], a missing driver
/// skips with a recorded notice locally and panics under CI.
pub fn chromedriver() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("RETAIL_CHROMEDRIVER")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromedriver".into());
    if path.is_file() {
        record(&format!("browser suite: {}", path.display()));
        Some(path)
    } else if in_ci() {
        panic!("no chromedriver at {} but CI=true: the browser suite must run in CI", path.display());
    } else {
        record(&format!("SKIPPED browser suite: no chromedriver at {} (set RETAIL_CHROMEDRIVER)", path.display()));
        None
    }
}

/// Prints the line and, when `RETAIL_BACKEND_LOG` names a file, appends it
/// there too: the test harness captures output of passing tests, so CI reads
/// the file to prove that every backend suite really ran.
fn record(line: &str) {
    use std::io::Write;
    println!("{line}");
    if let Some(path) = std::env::var_os("RETAIL_BACKEND_LOG") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut f) = file {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// True when running under CI (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

/// A name unique to this process and call, for isolating test data (keys,
/// streams, schemas) on shared servers.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{}_{n}", std::process::id(), nanos % 1_000_000_000)
}

/// `$RETAIL_EVAL_DATA/<relative>`, else the first of the shared data folders beside the
/// workspace (seen from the crate at `manifest_dir`) that holds it; the first candidate
/// when none does, so a test can say which file it did not find.
pub fn eval_data_file(manifest_dir: &str, relative: &str) -> std::path::PathBuf {
    if let Some(data) = std::env::var_os("RETAIL_EVAL_DATA") {
        return std::path::PathBuf::from(data).join(relative);
    }
    let crate_dir = std::path::Path::new(manifest_dir);
    let candidates =
        ["../../../shared/data", "../../../../shared/data"].map(|data| crate_dir.join(data).join(relative));
    candidates.iter().find(|path| path.exists()).unwrap_or(&candidates[0]).clone()
}
