//! Command-line tools from PyPI, each group in its own virtualenv under
//! `.tools/venv/<name>` (ignored by git), pinned to exact versions and
//! installed once: a stamp file records what was installed and where, so a
//! changed pin reinstalls and an unchanged one costs nothing. A venv's
//! scripts name its interpreter by absolute path, so one copied or restored
//! to another checkout (a CI cache) is rebuilt rather than trusted. Separate venvs keep
//! tools with conflicting pins (checkov, aws-sam-cli, moto) apart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use anyhow::{Context as _, bail};

/// A virtualenv of pinned PyPI packages.
pub(crate) struct Venv {
    /// Its `bin/` directory.
    pub(crate) bin: PathBuf,
}

impl Venv {
    /// A command of this venv (`bin/<name>`).
    pub(crate) fn command(&self, name: &str) -> Command {
        Command::new(self.bin.join(name))
    }

    /// `PATH` with this venv's `bin/` first (for tools that start others).
    pub(crate) fn path_env(&self) -> std::ffi::OsString {
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(paths).unwrap_or_default()
    }
}

/// The lock of one install folder under `.tools/` (`venv/<name>`, `py`,
/// `node`): the test command installs its tools in a background thread
/// while it compiles, and a stage that needs one of them waits for its
/// install rather than starting a second one into the same folder. Held
/// for as long as the guard lives. (A lock per folder, made once and kept
/// for the process: a dozen at most.)
pub(crate) fn install_lock(name: &str) -> MutexGuard<'static, ()> {
    static LOCKS: OnceLock<Mutex<HashMap<String, &'static Mutex<()>>>> = OnceLock::new();
    let locks = LOCKS.get_or_init(Mutex::default);
    let lock: &'static Mutex<()> = locks
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(name.to_owned())
        .or_insert_with(|| Box::leak(Box::default()));
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs (when needed) `packages` (each `name==version`) into
/// `.tools/venv/<name>` and checks that every executable in `expect`
/// exists afterwards.
pub(crate) fn ensure(name: &str, packages: &[&str], expect: &[&str]) -> anyhow::Result<Venv> {
    let _installing = install_lock(&format!("venv/{name}"));
    let dir = crate::root().join(".tools").join("venv").join(name);
    let venv = Venv { bin: dir.join("bin") };
    let stamp = dir.join(".installed");
    let want = format!("{}\n{}\n", dir.display(), packages.join("\n"));
    let present = expect.iter().all(|e| venv.bin.join(e).exists());
    if present && std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        println!("==> tools: {} already in .tools/venv/{name}", packages.join(", "));
        return Ok(venv);
    }
    println!("==> tools: installing {} into .tools/venv/{name}", packages.join(", "));
    let _ = std::fs::remove_file(&stamp);
    let mut mk = Command::new("python3");
    mk.args(["-m", "venv", "--clear"]).arg(&dir);
    crate::run::step(&format!("python venv {name}"), mk).context("python3 with the venv module is required")?;
    let mut pip = venv.command("pip");
    pip.args(["install", "--quiet", "--disable-pip-version-check"]).args(packages);
    pip.env("PIP_CACHE_DIR", crate::root().join(".cache").join("pip"));
    crate::run::step(&format!("pip install ({name})"), pip)?;
    for e in expect {
        if !venv.bin.join(e).exists() {
            bail!("{e} is missing from .tools/venv/{name} after installing {}", packages.join(", "));
        }
    }
    std::fs::write(&stamp, want).context("writing the install stamp")?;
    Ok(venv)
}
