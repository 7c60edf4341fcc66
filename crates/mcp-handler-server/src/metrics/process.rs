//! The standard `process_*` metrics, read from `/proc` when scraped (Linux;
//! elsewhere, or when `/proc` is not mounted, they are left out).

use std::path::Path;

/// What `/proc` says about this process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Process {
    /// User plus system CPU time, in seconds.
    pub(super) cpu_seconds: f64,
    /// Resident set size, in bytes.
    pub(super) resident_bytes: u64,
    /// Virtual memory size, in bytes.
    pub(super) virtual_bytes: u64,
    /// Open file descriptors.
    pub(super) open_fds: u64,
    /// The soft limit on open file descriptors, when there is one.
    pub(super) max_fds: Option<u64>,
    /// Start time since the Unix epoch, in seconds.
    pub(super) start_time_seconds: f64,
}

/// Clock ticks per second of `/proc/<pid>/stat` times: `USER_HZ`, fixed at
/// 100 by the kernel's ABI on every architecture Linux exports it for.
const USER_HZ: f64 = 100.0;

impl Process {
    /// This process, or `None` without a readable `/proc`.
    pub(super) fn read() -> Option<Self> {
        Self::read_from(Path::new("/proc"))
    }

    fn read_from(proc: &Path) -> Option<Self> {
        let me = proc.join("self");
        let stat = std::fs::read_to_string(me.join("stat")).ok()?;
        let status = std::fs::read_to_string(me.join("status")).ok()?;
        let (cpu_ticks, start_ticks) = stat_times(&stat)?;
        let boot = std::fs::read_to_string(proc.join("stat")).ok().and_then(|s| boot_time(&s))?;
        let open_fds = std::fs::read_dir(me.join("fd")).map(|d| d.count() as u64).unwrap_or(0);
        let max_fds = std::fs::read_to_string(me.join("limits")).ok().and_then(|s| soft_fd_limit(&s));
        Some(Self {
            cpu_seconds: cpu_ticks as f64 / USER_HZ,
            resident_bytes: status_kib(&status, "VmRSS:").unwrap_or(0) * 1024,
            virtual_bytes: status_kib(&status, "VmSize:").unwrap_or(0) * 1024,
            open_fds,
            max_fds,
            start_time_seconds: boot as f64 + start_ticks as f64 / USER_HZ,
        })
    }
}

/// `utime + stime` and `starttime` from `/proc/self/stat`. The command
/// name, in parentheses, may hold spaces and parentheses: fields are
/// counted from the last `)`.
fn stat_times(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, utime 14, stime 15, starttime 22.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some((field(14)? + field(15)?, field(22)?))
}

/// `btime` of `/proc/stat`: boot time since the epoch, in seconds.
fn boot_time(stat: &str) -> Option<u64> {
    stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
}

/// A `Vm*:` line of `/proc/self/status`, in KiB.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix(key))?.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The soft "Max open files" of `/proc/self/limits` (`None` if unlimited).
fn soft_fd_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_past_a_tricky_command_name() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 4 0 987654 \
                    123456789 2048 18446744073709551615";
        assert_eq!(stat_times(stat), Some((200, 987_654)));
        assert_eq!(boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n"), Some(1_700_000_000));
        assert_eq!(status_kib("Name:\tx\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\n", "VmRSS:"), Some(2048));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(soft_fd_limit(limits), Some(1024));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_readable_on_linux() {
        let p = Process::read().expect("/proc is mounted");
        assert!(p.resident_bytes > 0 && p.virtual_bytes >= p.resident_bytes, "{p:?}");
        assert!(p.open_fds > 0 && p.start_time_seconds > 1.5e9, "{p:?}");
    }
}
