//! Number formatting and Markdown tables, so every section prints a figure
//! the same way and a missing one as the same dash.

/// What a cell without a figure prints.
pub(crate) const MISSING: &str = "—";

/// Requests per second: whole numbers from 100 up, one decimal below.
pub(crate) fn rps(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => MISSING.to_owned(),
    }
}

/// Microseconds, switching to milliseconds from 10 ms up so a column stays readable.
pub(crate) fn micros(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 10_000.0 => format!("{:.1} ms", v / 1000.0),
        Some(v) if v >= 100.0 => format!("{v:.0} µs"),
        Some(v) => format!("{v:.1} µs"),
        None => MISSING.to_owned(),
    }
}

/// Milliseconds with two decimals.
pub(crate) fn millis(value: Option<f64>) -> String {
    value.map_or_else(|| MISSING.to_owned(), |v| format!("{v:.2} ms"))
}

/// Nanoseconds as criterion prints them: ns, µs or ms.
pub(crate) fn nanos(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{:.2} ms", value / 1_000_000.0)
    } else if value >= 1000.0 {
        format!("{:.2} µs", value / 1000.0)
    } else {
        format!("{value:.0} ns")
    }
}

/// KiB as MiB with one decimal.
pub(crate) fn mib(kib: Option<f64>) -> String {
    kib.map_or_else(|| MISSING.to_owned(), |v| format!("{:.1} MiB", v / 1024.0))
}

/// Dollars: whole from $1000, cents from $100, four significant digits
/// below (so $0.2067 and $1.207 per million calls stay comparable).
pub(crate) fn usd(value: f64) -> String {
    if value >= 1000.0 {
        format!("${value:.0}")
    } else if value >= 100.0 {
        format!("${value:.2}")
    } else if value == 0.0 {
        "$0".to_owned()
    } else {
        let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
        format!("${value:.digits$}")
    }
}

/// A price as the data file holds it: every digit (it is an input), at
/// least to the cent.
pub(crate) fn price(value: f64) -> String {
    let exact = format!("{value}");
    match exact.split_once('.') {
        Some((_, decimals)) if decimals.len() >= 2 => format!("${exact}"),
        _ => format!("${value:.2}"),
    }
}

/// A chart axis value: at most three significant digits, no trailing zeros.
pub(crate) fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (2 - value.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

/// A count on a chart axis: `10k`, `1M`, `2.5B`.
pub(crate) fn short_count(value: f64) -> String {
    for (scale, suffix) in [(1e9, "B"), (1e6, "M"), (1e3, "k")] {
        if value >= scale {
            return format!("{}{suffix}", short(value / scale));
        }
    }
    short(value)
}

/// A count of requests: k, M and B suffixes.
pub(crate) fn count(value: f64) -> String {
    if value >= 1e9 {
        format!("{:.2} B", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.1} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// An instruction count: `13.4k`, `1.23M` (three significant digits are
/// as many as a per-request difference of two callgrind runs carries).
pub(crate) fn instructions(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// A GitHub-flavoured Markdown table built row by row.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    text_columns: Vec<usize>,
}

impl Table {
    /// A table with these column titles; the first column is text
    /// (left-aligned), the others figures (right-aligned).
    pub(crate) fn new<S: AsRef<str>>(header: &[S]) -> Self {
        Self { header: header.iter().map(|h| h.as_ref().to_owned()).collect(), rows: Vec::new(), text_columns: vec![0] }
    }

    /// Marks these columns as text (left-aligned).
    pub(crate) fn text(mut self, columns: &[usize]) -> Self {
        self.text_columns.extend_from_slice(columns);
        self
    }

    /// Adds a row; missing trailing cells print as dashes.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The Markdown text, ending with a blank line.
    pub(crate) fn render(&self) -> String {
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        for i in 0..self.header.len() {
            out.push_str(if self.text_columns.contains(&i) { " --- |" } else { " ---: |" });
        }
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<&str> = (0..self.header.len()).map(|i| row.get(i).map_or(MISSING, String::as_str)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_keep_four_significant_digits_below_one() {
        assert_eq!(usd(0.2066667), "$0.2067");
        assert_eq!(usd(0.00666670), "$0.006667");
        assert_eq!(usd(1.2066667), "$1.207");
        assert_eq!(usd(21.7962), "$21.80");
        assert_eq!(usd(543.124), "$543.12");
        assert_eq!(usd(12345.6), "$12346");
    }

    #[test]
    fn prices_keep_every_digit_and_at_least_cents() {
        assert_eq!(price(0.0000133334), "$0.0000133334");
        assert_eq!(price(0.2), "$0.20");
        assert_eq!(price(1.0), "$1.00");
        assert_eq!(price(0.0225), "$0.0225");
    }

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(short_count(1e4), "10k");
        assert_eq!(short_count(1e10), "10B");
        assert_eq!(short_count(2.5e6), "2.5M");
        assert_eq!(short(0.01), "0.01");
        assert_eq!(short(0.1), "0.1");
        assert_eq!(short(100.0), "100");
        assert_eq!(short(0.099999999), "0.1");
    }

    #[test]
    fn table_pads_missing_cells_with_dashes() {
        let mut t = Table::new(&["system", "rps"]);
        t.row(vec!["floor".to_owned()]);
        assert_eq!(t.render(), "| system | rps |\n| --- | ---: |\n| floor | — |\n\n");
    }

    #[test]
    fn instruction_counts_use_k_and_m() {
        assert_eq!(instructions(13_412.0), "13.4k");
        assert_eq!(instructions(1_234_567.0), "1.23M");
        assert_eq!(instructions(812.0), "812");
    }

    #[test]
    fn latency_switches_unit_at_ten_milliseconds() {
        assert_eq!(micros(Some(812.4)), "812 µs");
        assert_eq!(micros(Some(12_345.0)), "12.3 ms");
        assert_eq!(micros(None), MISSING);
    }
}
