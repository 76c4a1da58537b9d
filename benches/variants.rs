//! Variant time and peak memory for 1, 12 and 24 MP JPEGs (BENCHMARKS.md "Variants").
//!
//! ```sh
//! cargo bench -p joist --bench variants
//! ```
//!
//! For each size it writes a photo-like JPEG (gradients and grain, quality 90), then runs
//! itself once per size as a fresh process that decodes it and renders the variants of the
//! demo's kind (a 240 × 240 WebP thumbnail and a 1600 × 1600 JPEG) five times, and reports the
//! median times and the process's peak resident memory (`VmHWM`) above what it held after
//! reading the file.

// A benchmark's report is its output.
#![allow(clippy::print_stdout, missing_docs)]

use std::{path::Path, process::Command, time::Instant};

use image::{ImageBuffer, Rgb, RgbImage, codecs::jpeg::JpegEncoder};
use joist::variants::{Decoded, Variant};

const SIZES: [(u32, u32, &str); 3] = [
    (1155, 866, "1 MP"),
    (4000, 3000, "12 MP"),
    (6000, 4000, "24 MP"),
];
const RUNS: usize = 5;

/// A photo-like image: smooth gradients with a little grain, so it compresses like a photo.
fn photo(width: u32, height: u32) -> RgbImage {
    let mut grain: u32 = 0x9e37_79b9;
    ImageBuffer::from_fn(width, height, |x, y| {
        grain ^= grain << 13;
        grain ^= grain >> 17;
        grain ^= grain << 5;
        let noise = grain % 24;
        let channel = |value: u32| u8::try_from((value + noise).min(255)).unwrap_or(u8::MAX);
        Rgb([
            channel(x * 200 / width),
            channel(y * 200 / height),
            channel((x + y) * 100 / (width + height) + 60),
        ])
    })
}

/// The process's peak resident memory so far, in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median(mut millis: Vec<f64>) -> f64 {
    millis.sort_by(f64::total_cmp);
    millis[millis.len() / 2]
}

/// In the child: decode and render `path`'s variants; print `decode_ms render_ms peak_kib`.
fn measure(path: &Path) {
    let source = std::fs::read(path).expect("the JPEG");
    let before = peak_kib();
    let variants = [
        Variant::fill(240, 240).webp().quality(78),
        Variant::fit(1600, 1600).jpeg().quality(82),
    ];
    let (mut decode_times, mut render_times) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        let decoded = Decoded::new(&source, 50_000_000).expect("decodes");
        decode_times.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        for variant in &variants {
            decoded.render(variant).expect("renders");
        }
        render_times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{:.0} {:.0} {}",
        median(decode_times),
        median(render_times),
        peak_kib().saturating_sub(before)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, path] = args.as_slice()
        && mode == "measure"
    {
        measure(Path::new(path));
        return;
    }
    let folder = std::env::temp_dir().join(format!("joist-bench-variants-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    println!(
        "| original | JPEG bytes | decode | resize + encode (2 variants) | peak memory above the file |"
    );
    println!("|---|---|---|---|---|");
    for (width, height, label) in SIZES {
        let path = folder.join(format!("{width}x{height}.jpg"));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&photo(width, height))
            .expect("encodes");
        std::fs::write(&path, &jpeg).expect("writes");
        let output = Command::new(std::env::current_exe().expect("this benchmark"))
            .arg("measure")
            .arg(&path)
            .output()
            .expect("runs");
        let report = String::from_utf8_lossy(&output.stdout);
        let values: Vec<&str> = report.split_whitespace().collect();
        let [decode, render, peak] = values.as_slice() else {
            panic!(
                "the measurement failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let peak_mib = peak.parse::<f64>().unwrap_or(0.0) / 1024.0;
        #[allow(clippy::cast_precision_loss)]
        let megabytes = jpeg.len() as f64 / 1_000_000.0;
        println!(
            "| {label} ({width} × {height}) | {megabytes:.1} MB | {decode} ms | {render} ms | {peak_mib:.0} MiB |"
        );
    }
    std::fs::remove_dir_all(&folder).expect("cleans up");
}
