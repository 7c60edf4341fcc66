//! `cost.svg`: monthly cost against monthly calls, Lambda against Fargate
//! and Lambda Managed Instances.

use plotters::prelude::*;

use super::charts::{COLOURS, SIZE};
use super::cost::{FrontDoor, Model};
use super::cost_report::{BREAK_EVENS, MANAGED_BREAK_EVENS};
use super::format;
use super::prices::Arch;

/// The chart's volume axis, calls a month (log).
const VOLUME: (f64, f64) = (1e4, 1e10);
/// Points per line: enough that Fargate's task steps show.
const POINTS: usize = 240;

/// One line of the chart: its legend name and its cost at a volume.
struct Line<'m> {
    name: String,
    cost: Box<dyn Fn(f64) -> Option<f64> + 'm>,
    thick: bool,
}

/// A line's points, ready to draw.
struct Plotted {
    name: String,
    thick: bool,
    points: Vec<(f64, f64)>,
}

/// The chart, or `None` when neither Lambda nor Fargate could be priced.
pub(crate) fn render(model: &Model<'_>) -> anyhow::Result<Option<String>> {
    let mut lines: Vec<Line<'_>> = Vec::new();
    for arch in Arch::ALL {
        lines.push(Line {
            name: format!("Lambda {} (Function URL)", arch.name()),
            cost: Box::new(move |v| model.lambda_monthly(arch, FrontDoor::FunctionUrl, v)),
            thick: false,
        });
    }
    lines.push(Line {
        name: "Lambda arm64 + API Gateway HTTP API".to_owned(),
        cost: Box::new(|v| model.lambda_monthly(Arch::Arm64, FrontDoor::HttpApi, v)),
        thick: false,
    });
    for arch in Arch::ALL {
        lines.push(Line {
            name: format!("Fargate {} + ALB", arch.name()),
            cost: Box::new(move |v| model.fargate_monthly(arch, v)),
            thick: true,
        });
    }
    lines.push(Line {
        name: "Lambda Managed Instances arm64".to_owned(),
        cost: Box::new(|v| model.managed_monthly(Arch::Arm64, v)),
        thick: true,
    });
    let step = (VOLUME.1 / VOLUME.0).ln() / (POINTS - 1) as f64;
    let volumes: Vec<f64> = (0..POINTS).map(|i| VOLUME.0 * (step * i as f64).exp()).collect();
    let plotted: Vec<Plotted> = lines
        .iter()
        .map(|l| Plotted {
            name: l.name.clone(),
            thick: l.thick,
            points: volumes.iter().filter_map(|&v| (l.cost)(v).map(|c| (v, c))).collect(),
        })
        .filter(|p| !p.points.is_empty())
        .collect();
    let costs: Vec<f64> = plotted.iter().flat_map(|p| p.points.iter().map(|x| x.1)).filter(|c| *c > 0.0).collect();
    let Some(max) = costs.iter().copied().reduce(f64::max) else { return Ok(None) };
    let min = costs.iter().copied().fold(max, f64::min);
    let fargate = BREAK_EVENS
        .iter()
        .map(|&(la, door, fa)| (la, door, format!("Fargate {}", fa.name()), model.break_even(la, door, fa)));
    let managed = MANAGED_BREAK_EVENS.iter().map(|&(la, door, ma)| {
        (la, door, format!("Managed Instances {}", ma.name()), model.managed_break_even(la, door, ma))
    });
    let marks: Vec<(String, f64, f64)> = fargate
        .chain(managed)
        .filter_map(|(la, door, other, v)| {
            let v = v?;
            let c = model.lambda_monthly(la, door, v)?;
            let lambda =
                if door == FrontDoor::HttpApi { format!("{} + API GW", la.name()) } else { la.name().to_owned() };
            let label = format!("break-even Lambda {lambda} = {other}: {} calls/month", format::count(v));
            (VOLUME.0..=VOLUME.1).contains(&v).then_some((label, v, c))
        })
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Monthly cost vs calls a month ({} prices as of {})", model.prices.region, model.prices.as_of),
                ("sans-serif", 20),
            )
            .margin(15)
            .margin_right(40)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d((VOLUME.0..VOLUME.1).log_scale(), (min / 2.0..max * 2.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("tools/calls a month")
            .y_desc("USD a month")
            .x_label_formatter(&|v| format::short_count(*v))
            .y_label_formatter(&|v| format!("${}", format::short(*v)))
            .draw()?;
        for (i, line) in plotted.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let style = colour.stroke_width(if line.thick { 3 } else { 2 });
            chart
                .draw_series(LineSeries::new(line.points.iter().copied(), style))?
                .label(line.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
        }
        // Break-evens as legend entries: labels beside the markers overlap,
        // since the three points sit within a decade of each other.
        for (label, v, c) in &marks {
            chart
                .draw_series(std::iter::once(Circle::new((*v, *c), 6, BLACK.stroke_width(2))))?
                .label(label.as_str())
                .legend(|(x, y)| Circle::new((x + 9, y), 5, BLACK.stroke_width(2)));
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
