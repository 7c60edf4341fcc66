//! Why a missed target is missed, computed from the run itself: the bounds
//! the peers set, the callgrind counts, the stand-in's delayed ACKs. A
//! reason is shown only beside a missed target (`TargetLine::because`).

use crate::results::ProfileRun;

use super::aggregate::{
    AXUM, Aggregated, Cell, FLOOR, LAMBDA_FLOOR, LambdaCell, MAIN_CONNECTIONS, ONE_CONNECTION, OURS, median,
};
use super::format;

/// A warm invocation this slow for the bare function is the stand-in's
/// delayed-ACK wait, not the function's cost (µs).
const DELAYED_ACK_US: f64 = 20_000.0;

/// One connection's p50 above the floor's: one request at a time, the
/// round trip through client and kernel is the same for both, and what
/// differs is the server's own work, which the profile counts.
pub(super) fn one_connection(agg: &Aggregated, profile: &[ProfileRun]) -> Option<String> {
    let cores = agg.main_cores();
    let p50 = |system: &str| agg.closed(system, "call", cores, ONE_CONNECTION).map(|c| c.latency_us.p50);
    let ir = |system: &str| super::profile::per_request(profile, system, "call");
    let (ours, floor) = (p50(OURS)?, p50(FLOOR)?);
    let extra = ir(OURS)? - ir(FLOOR)?;
    (extra > 0.0 && ours > floor).then(|| {
        format!(
            "one call at a time, the round trip through client and kernel is the floor's too; the server's \
             own work differs: {} more userspace instructions per call than the floor (callgrind), and the \
             p50s differ by {:.1} µs, {:.2} ns per extra instruction",
            format::instructions(extra),
            ours - floor,
            (ours - floor) * 1000.0 / extra
        )
    })
}

/// What a bound among the peers leaves out, said where it has the lower p99.
pub(super) fn bound(peer: &str) -> String {
    if peer == FLOOR {
        format!("{FLOOR} answers fixed bytes, with no JSON-RPC work")
    } else {
        format!("{peer} parses the body and answers, with none of MCP's checks (headers, version, params)")
    }
}

/// Ours has the higher p99 but a tail no longer for its median than the
/// peer's: in a closed loop the whole distribution sits higher where fewer
/// requests are served a second (the connections queue longer), which is
/// the throughput gap again, not stalls of ours.
pub(super) fn tail(ours: &Cell, peer: &Cell, name: &str) -> Option<String> {
    let ratio = |c: &Cell| (c.latency_us.p50 > 0.0).then(|| c.latency_us.p99 / c.latency_us.p50);
    let (o, p) = (ratio(ours)?, ratio(peer)?);
    (o <= p).then(|| {
        format!(
            "p99/p50 {o:.2}× for {OURS} against {p:.2}× for {name}: a tail no longer than {name}'s, on a median \
             that sits higher where fewer requests are served a second"
        )
    })
}

/// What the hand-written axum handler itself reaches of the floor, said
/// beside a target that asks more of the floor than that: a target above
/// what a server with no MCP work reaches is out of reach for one with it.
pub(super) fn ceiling(axum: Option<f64>, floor: Option<f64>, needed: f64) -> Option<String> {
    let share = axum? / floor?;
    (share.is_finite() && share < needed).then(|| {
        format!("{AXUM}, the hand-written ceiling with none of MCP's checks, itself serves {share:.2}× the floor here")
    })
}

/// `≥ 4× rmcp` missed, from the requests/s of the floor, axum, `rmcp` and
/// ours: out of reach where the floor itself serves less than 4×; otherwise
/// the gap is the shell's to the floor, and beyond axum's reach where 4×
/// needs more of the floor than axum serves.
pub(super) fn rmcp(
    rmcp: &str,
    floor: Option<f64>,
    axum: Option<f64>,
    peer: Option<f64>,
    ours: Option<f64>,
) -> Option<String> {
    let (f, r) = (floor?, peer?);
    if r <= 0.0 || f <= 0.0 {
        return None;
    }
    if f / r < 4.0 {
        return Some(format!(
            "out of reach on this machine: the HTTP floor itself serves only {:.2}× {rmcp} here",
            f / r
        ));
    }
    let needed = 4.0 * r / f;
    let beyond = ceiling(axum, Some(f), needed).map_or_else(String::new, |c| format!(" ({c})"));
    Some(format!(
        "the floor serves {:.2}× {rmcp} here, so 4× needs {needed:.2}× the floor{beyond}, and {OURS} serves {:.2}× \
         (the server-shell target's reason says where the work goes)",
        f / r,
        ours? / f
    ))
}

/// The 2026 shape below its share of the 2025 shape's throughput: what
/// the bigger request (routing headers, `_meta`) costs each server in
/// instructions, the floor and axum first, and so how much is ours.
pub(super) fn shape_2026(profile: &[ProfileRun]) -> Option<String> {
    let ir = |system: &str, scenario: &str| super::profile::per_request(profile, system, scenario);
    let (ours25, ours26) = (ir(OURS, "call")?, ir(OURS, "call-2026")?);
    let show = super::format::instructions;
    let extra = |system: &str| Some(ir(system, "call-2026")? - ir(system, "call")?);
    let peers: Vec<String> =
        [FLOOR, AXUM].into_iter().filter_map(|p| extra(p).map(|e| format!("{p} +{}", show(e)))).collect();
    let peers = if peers.is_empty() { String::new() } else { format!(" ({} for the same request)", peers.join(", ")) };
    let own = match extra(FLOOR) {
        Some(f) if ours26 - ours25 > f => format!(
            "; {} of it are {OURS}'s own beyond reading a bigger request: `_meta`'s members read and checked, and \
             the routing headers compared with the body",
            show(ours26 - ours25 - f)
        ),
        Some(_) => {
            "; no more than the floor's own extra work, so the gap is in what callgrind does not count".to_owned()
        }
        None => String::new(),
    };
    Some(format!(
        "callgrind: a 2026 call costs {OURS} {} userspace instructions against {} for a 2025 call, +{}{peers}{own}; \
         instructions alone would give {:.2}×, and the kernel's share, alike for both shapes, lifts the measured \
         ratio above it",
        show(ours26),
        show(ours25),
        show(ours26 - ours25),
        ours25 / ours26
    ))
}

/// Idle RSS over the limit: what of it is mapped code rather than private
/// memory, how much of that is the program's own code against its size,
/// and the floor's, where the run read them (older runs lack the parts).
pub(super) fn idle_rss(agg: &Aggregated, system: &str, idle: Option<f64>, private: Option<f64>) -> Option<String> {
    let of = |system: &str, f: fn(&Cell) -> Option<f64>| {
        median(agg.load.iter().filter(|(k, _)| k.system == system).filter_map(|(_, c)| f(c)).collect())
    };
    let mib = |kb: f64| kb / 1024.0;
    let own_code = match (of(system, |c| c.rss_idle_code_kb), of(system, |c| c.code_kb)) {
        (Some(mapped), Some(size)) if size > 0.0 => format!(
            "; {:.1} MiB of them are the program's own machine code, {:.0}% of its {:.1} MiB: the kernel maps \
             code in blocks around each page that starting up and a first request run (fault-around), and \
             that code lies spread over the whole program",
            mib(mapped),
            100.0 * mapped / size,
            mib(size)
        ),
        _ => String::new(),
    };
    let floor_code = of(FLOOR, |c| c.code_kb).map_or_else(String::new, |kb| format!(" ({:.1} MiB of code)", mib(kb)));
    let floor_part = match (of(FLOOR, |c| c.rss_idle_kb), of(FLOOR, |c| c.rss_idle_anon_kb)) {
        (Some(i), Some(p)) => format!(
            "; the floor, a far smaller program{floor_code}, maps {:.1} MiB ({:.1} MiB private)",
            mib(i - p),
            mib(p)
        ),
        (Some(i), None) => format!("; the floor, a far smaller program{floor_code}, reads {:.1} MiB in all", mib(i)),
        _ => String::new(),
    };
    Some(format!(
        "the {:.1} MiB beyond the private part are pages of mapped code, the program's and the C libraries', \
         shared by every process that maps them and dropped by the kernel under memory pressure{own_code}{floor_part}",
        mib(idle? - private?),
    ))
}

/// Warm overhead over the limit where the bare function's own warm p50 is
/// tens of milliseconds: the delayed-ACK wait of the stand-in's plain
/// sockets (`lambda::ack`), with the quick-ACK run's overhead beside it.
pub(super) fn streamed(agg: &Aggregated, system: &str, mode: &str, floor: Option<&LambdaCell>) -> Option<String> {
    let f = floor.filter(|f| f.warm_us.p50 >= DELAYED_ACK_US)?;
    let quick = format!("{mode}-quickack");
    let measured = match (agg.lambda(system, &quick), agg.lambda(LAMBDA_FLOOR, &quick)) {
        (Some(o), Some(q)) => {
            format!("; with quick ACKs ({quick}) the overhead is {:.3} ms", (o.warm_us.p50 - q.warm_us.p50) / 1000.0)
        }
        _ => String::new(),
    };
    Some(format!(
        "the bare function's warm p50 is {} too: every streamed invocation waits on Nagle and a delayed TCP \
         acknowledgement (~40 ms), whatever the function costs, and the difference is noise on that wait{measured}",
        format::micros(Some(f.warm_us.p50))
    ))
}

/// Why the shell misses its share of the floor: first what the hand-written
/// axum handler reaches of it where that is short of the target too, then
/// the profile's counts.
pub(super) fn shell(agg: &Aggregated, cores: u32, profile: &[ProfileRun]) -> Option<String> {
    let rate = |system: &str| agg.closed(system, "call", cores, MAIN_CONNECTIONS).map(|c| c.rps);
    let axum_share = ceiling(rate(AXUM), rate(FLOOR), super::targets::SHELL_VS_FLOOR);
    match (axum_share, super::profile::floor_why(profile)) {
        (Some(c), Some(p)) => Some(format!("{c}; {p}")),
        (c, p) => c.or(p),
    }
}
