//! The trend chart as server-rendered SVG (plotters' SVG backend): two
//! series over the period's days or months, no script needed. The chart is
//! decoration beside a table holding the same numbers, which is what
//! screen readers and the 360 px layout use.

use plotters::prelude::*;

/// One point (a day or a month): the two series' values.
pub struct Point {
    pub a: f64,
    pub b: f64,
}

/// An SVG line chart of two series (`a` solid blue, `b` dashed dark).
/// Empty when there is nothing to draw.
pub fn trend_svg(points: &[Point], aria: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let mut svg = String::new();
    let top = points
        .iter()
        .map(|p| p.a.max(p.b))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let n = points.len();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 240)).into_drawing_area();
        if root.fill(&WHITE).is_err() {
            return String::new();
        }
        let area = root.margin(12, 12, 12, 12);
        let (w, h) = area.dim_in_pixel();
        let (w, h) = (f64::from(w), f64::from(h));
        let x = |i: usize| -> i32 {
            if n == 1 {
                (w / 2.0) as i32
            } else {
                (i as f64 * w / (n - 1) as f64) as i32
            }
        };
        let y = |v: f64| -> i32 { (h - v / top * h) as i32 };
        let grid = RGBColor(0xb1, 0xb4, 0xb6);
        for k in 0..=4 {
            let gy = (h * f64::from(k) / 4.0) as i32;
            let _ = area.draw(&PathElement::new(vec![(0, gy), (w as i32, gy)], grid));
        }
        let blue = RGBColor(0x1d, 0x70, 0xb8);
        let dark = RGBColor(0x0b, 0x0c, 0x0c);
        let a: Vec<(i32, i32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (x(i), y(p.a)))
            .collect();
        let b: Vec<(i32, i32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (x(i), y(p.b)))
            .collect();
        let _ = area.draw(&PathElement::new(a.clone(), blue.stroke_width(3)));
        // The second series dashed, so the two differ without colour.
        for pair in b.windows(2) {
            let (p, q) = (pair[0], pair[1]);
            let mid = ((p.0 + q.0) / 2, (p.1 + q.1) / 2);
            let _ = area.draw(&PathElement::new(vec![p, mid], dark.stroke_width(2)));
        }
        for (i, pt) in a.iter().enumerate() {
            let _ = area.draw(&Circle::new(*pt, 3, blue.filled()));
            if n == 1 {
                let _ = area.draw(&Circle::new(b[i], 3, dark.filled()));
            }
        }
        let _ = root.present();
    }
    // Name the chart for assistive technology; make it scale to its box.
    svg.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"none\" class=\"trend\" ",
            aria.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        ),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_both_series_and_names_itself() {
        let pts = vec![
            Point { a: 3.0, b: 1.0 },
            Point { a: 5.0, b: 4.0 },
            Point { a: 0.0, b: 2.0 },
        ];
        let svg = trend_svg(&pts, "办件量 & <趋势>");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"办件量 &amp; &lt;趋势&gt;\""));
        assert!(svg.contains("<circle"), "{svg}");
        assert!(
            svg.matches("<polyline").count() >= 3,
            "grid and both series: {svg}"
        );
        assert!(trend_svg(&[], "x").is_empty());
    }
}
