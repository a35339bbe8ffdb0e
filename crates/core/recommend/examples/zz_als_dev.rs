// TEMPORARY dev harness (deleted before hand-off).
use retail_recommend::{Als, AlsConfig, Format, Interactions, LeaveOneOut, Recommender};
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let reps: usize = std::env::args().nth(2).map_or(5, |v| v.parse().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    let data = Interactions::parse(Format::AmazonSeq, &text).unwrap();
    let split = LeaveOneOut::new(&data);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut best_fit = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut model = Als::new(AlsConfig::default());
    for _ in 0..reps {
        let t = Instant::now();
        let c = cpu();
        pool.install(|| model.fit(split.train(), split.n_items()));
        best_fit = best_fit.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu() - c);
    }
    let mut best_score = f64::MAX;
    let mut scores = vec![0.0; split.n_items()];
    let histories: Vec<&[u32]> = data.sequences().filter(|s| s.len() >= 3).take(2000).collect();
    for _ in 0..reps {
        let t = Instant::now();
        for h in &histories {
            model.score_into(&h[..h.len() - 1], &mut scores);
        }
        best_score = best_score.min(t.elapsed().as_secs_f64());
    }
    println!(
        "min fit cpu {best_cpu:.2}s min fit {best_fit:.3}s  min score 2000 users {best_score:.3}s  check {}",
        scores[0]
    );
}

fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |at: usize| fields.get(at).and_then(|field| field.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
