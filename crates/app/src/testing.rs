//! Helpers for tests of this crate and the crates above it: a platform on a
//! fresh embedded store in a temporary folder, removed when dropped.

use std::ops::Deref;
use std::path::PathBuf;

use crate::{Config, Platform};

pub struct TempPlatform {
    platform: Option<Platform>,
    dir: PathBuf,
}

impl TempPlatform {
    /// A platform on its own SQLite file, everything else in-process.
    pub async fn embedded(name: &str) -> Self {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("retail-{name}-{}-{nanos}", std::process::id()));
        // Two epochs of the sequence model: the tests check the pipeline, not its accuracy.
        let config = Config { data_dir: dir.clone(), recommend_sequence_epochs: 2, ..Config::default() };
        Self::with_config(config, dir).await
    }

    pub async fn with_config(config: Config, dir: PathBuf) -> Self {
        let platform = Platform::open(config).await.expect("open test platform");
        Self { platform: Some(platform), dir }
    }

    /// Hands the platform over (e.g. into an `Arc` for a server); the folder stays
    /// until this value is dropped.
    pub fn take(&mut self) -> Platform {
        self.platform.take().expect("platform not yet taken")
    }
}

impl Deref for TempPlatform {
    type Target = Platform;
    fn deref(&self) -> &Platform {
        self.platform.as_ref().expect("platform not taken")
    }
}

impl Drop for TempPlatform {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
