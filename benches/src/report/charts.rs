//! The measurement charts: throughput and latency per system, scaling with cores.
//!
//! plotters' SVG backend writes text as `<text>` elements that the viewer
//! lays out, so no font files or font libraries are needed (built without
//! the `ttf` feature, plotters only estimates text extents).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::aggregate::{Aggregated, MAIN_CONNECTIONS, OURS, SCALING_CONNECTIONS};
use super::format;

/// Chart size in pixels.
pub(crate) const SIZE: (u32, u32) = (960, 540);
/// Series colours, in order (Okabe–Ito, distinguishable with colour blindness).
pub(crate) const COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

/// One bar series: its name and a value per group (`None`: not measured).
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) values: Vec<Option<f64>>,
}

/// Requests/s per system for `call` and `call-2026` on the main core count.
pub(crate) fn throughput(agg: &Aggregated) -> anyhow::Result<Option<String>> {
    let cores = agg.main_cores();
    let systems = agg.systems();
    let series: Vec<Series> = ["call", "call-2026"]
        .iter()
        .map(|scenario| Series {
            name: (*scenario).to_owned(),
            values: systems.iter().map(|s| agg.closed(s, scenario, cores, MAIN_CONNECTIONS).map(|c| c.rps)).collect(),
        })
        .collect();
    let title = format!("Requests/s, {cores} core(s), {MAIN_CONNECTIONS} connections (median of rounds)");
    grouped_bars(&title, "requests/s", &systems, &series, false)
}

/// p50 and p99 of `call` per system (log scale: peers differ by orders of magnitude).
pub(crate) fn latency(agg: &Aggregated) -> anyhow::Result<Option<String>> {
    let cores = agg.main_cores();
    let systems = agg.systems();
    let cells: Vec<_> = systems.iter().map(|s| agg.closed(s, "call", cores, MAIN_CONNECTIONS)).collect();
    let series = vec![
        Series { name: "p50".to_owned(), values: cells.iter().map(|c| c.map(|c| c.latency_us.p50)).collect() },
        Series { name: "p99".to_owned(), values: cells.iter().map(|c| c.map(|c| c.latency_us.p99)).collect() },
    ];
    let title = format!("call latency, {cores} core(s), {MAIN_CONNECTIONS} connections (median of rounds)");
    grouped_bars(&title, "latency (log scale)", &systems, &series, true)
}

/// Requests/s of `call` against cores, one line per system; drawn only when
/// more than two core counts were measured (as the issue asks: two points
/// make a line that shows nothing a table does not).
pub(crate) fn scaling(agg: &Aggregated) -> anyhow::Result<Option<String>> {
    let cores = agg.core_counts();
    if cores.len() <= 2 {
        return Ok(None);
    }
    let lines: Vec<(String, Vec<(f64, f64)>)> = agg
        .systems()
        .into_iter()
        .map(|s| {
            let points = cores
                .iter()
                .filter_map(|&c| agg.closed(&s, "call", c, SCALING_CONNECTIONS).map(|x| (f64::from(c), x.rps)))
                .collect();
            (s, points)
        })
        .filter(|(_, p): &(String, Vec<(f64, f64)>)| !p.is_empty())
        .collect();
    let y_max = lines.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(0.0, f64::max) * 1.1;
    let (x_min, x_max) = (f64::from(cores[0]), f64::from(cores[cores.len() - 1]));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("call requests/s by server cores, {SCALING_CONNECTIONS} connections"), ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x_min..x_max, 0f64..y_max.max(1.0))?;
        chart
            .configure_mesh()
            .x_desc("cores")
            .y_desc("requests/s")
            .x_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for (i, (name, points)) in lines.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let width = if name == OURS { 3 } else { 2 };
            chart
                .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(width)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(3)));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(Some(svg))
}

/// Bars grouped by system, one colour per series, the value printed above
/// each bar and the system name under its group. `None` when nothing was measured.
pub(crate) fn grouped_bars(
    title: &str,
    y_desc: &str,
    groups: &[String],
    series: &[Series],
    log: bool,
) -> anyhow::Result<Option<String>> {
    let values: Vec<f64> =
        series.iter().flat_map(|s| s.values.iter().flatten().copied()).filter(|v| *v > 0.0).collect();
    let Some(max) = values.iter().copied().reduce(f64::max) else { return Ok(None) };
    let min = values.iter().copied().fold(max, f64::min);
    let n = groups.len() as f64;
    let bar = 0.8 / series.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder.caption(title, ("sans-serif", 22)).margin(15).x_label_area_size(45).y_label_area_size(80);
        let label_style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        let name_style = TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        let value_text = |v: f64| if log { format::micros(Some(v)) } else { format!("{v:.0}") };
        // Each series' bars, its legend entry and value labels; the two
        // coordinate kinds (linear and log) share this body.
        macro_rules! draw {
            ($chart:expr, $base:expr) => {{
                let chart = &mut $chart;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(0)
                    .x_label_formatter(&|_| String::new())
                    .y_desc(y_desc)
                    .y_label_formatter(&|v| if log { format::micros(Some(*v)) } else { format!("{v:.0}") })
                    .draw()?;
                for (i, s) in series.iter().enumerate() {
                    let colour = COLOURS[i % COLOURS.len()];
                    let left = |g: usize| g as f64 + 0.1 + bar * i as f64;
                    let bars: Vec<_> = s
                        .values
                        .iter()
                        .enumerate()
                        .filter_map(|(g, v)| v.filter(|v| *v > 0.0).map(|v| (g, v)))
                        .collect();
                    chart
                        .draw_series(bars.iter().map(|&(g, v)| {
                            Rectangle::new([(left(g), $base), (left(g) + bar * 0.95, v)], colour.filled())
                        }))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
                    chart.draw_series(
                        bars.iter()
                            .map(|&(g, v)| Text::new(value_text(v), (left(g) + bar / 2.0, v), label_style.clone())),
                    )?;
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()?;
                for (g, name) in groups.iter().enumerate() {
                    let (x, y) = chart.backend_coord(&(g as f64 + 0.5, $base));
                    root.draw(&Text::new(name.as_str(), (x, y + 8), name_style.clone()))?;
                }
            }};
        }
        if log {
            let (lo, hi) = (min / 2.0, max * 3.0);
            let mut chart = builder.build_cartesian_2d(0f64..n, (lo..hi).log_scale())?;
            draw!(chart, lo);
        } else {
            let hi = max * 1.15;
            let mut chart = builder.build_cartesian_2d(0f64..n, 0f64..hi)?;
            draw!(chart, 0.0);
        }
        root.present()?;
    }
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::aggregate::tests::agg;
    use crate::report::tables::tests::{at, scaling_runs};

    #[test]
    fn the_scaling_chart_draws_a_line_per_system_over_three_core_counts() {
        let svg = scaling(&agg(scaling_runs())).expect("drawn").expect("three core counts");
        assert!(svg.contains("256 connections"), "caption");
        // Each system's three points are circles: six in all.
        assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
        assert!(svg.contains("mcp-handler") && svg.contains("axum"), "legend");
    }

    #[test]
    fn two_core_counts_draw_no_chart() {
        let load = vec![at(OURS, 1, SCALING_CONNECTIONS, 1.0), at(OURS, 2, SCALING_CONNECTIONS, 2.0)];
        assert!(scaling(&agg(load)).expect("no error").is_none());
    }
}
