//! The Rust side of `python/bench_send.py`: the same calls on the same core
//! (`wire::Binding::call_blocking_json`, the function the Python extension
//! calls with the GIL released), made from Rust, so the binding's own cost
//! shows in one run.
//!
//! `rust_calls <stub URL> <send|check> <calls>` loads the embedded action,
//! warms up, and prints each call's wall time in µs, one a line, then the
//! process's CPU µs per call (every thread's, from /proc/self/task).

use siptel_sms_host::wire::{Binding, Export};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("the stub's URL");
    let export = args.next().unwrap_or_else(|| "send".into());
    let calls: usize = args.next().map_or(1000, |n| n.parse().expect("a count"));
    let export = Export::from_name(&export).expect("send or check");
    let options = format!(r#"{{"siptel-base-url": "{url}"}}"#);
    let binding = Binding::load(None, options.as_bytes()).expect("the action loads");
    let body = format!(
        r#"{{"config": {{"api-key": "test-key", "sender": "56961234567", "recipient": "56987654321",
            "message": "Hola Ana, su hora es el lunes 10:30.", "window-start": "00:00:00",
            "window-end": "23:59:59", "send-on-holidays": true, "base-url": "{url}",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}}}}"#
    );
    let call = || {
        let answer = binding.call_blocking_json(export, body.as_bytes(), b"");
        assert!(
            answer.starts_with(b"{\"ok\""),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    };
    for _ in 0..50 {
        call();
    }
    let mut out = String::new();
    let cpu = cpu_nanos();
    for _ in 0..calls {
        let started = Instant::now();
        call();
        out.push_str(&format!("{:.1}\n", started.elapsed().as_secs_f64() * 1e6));
    }
    let per_call = (cpu_nanos() - cpu) as f64 / calls as f64 / 1e3;
    print!("{out}");
    println!("{per_call:.1}");
}

/// CPU time of every thread of this process, in ns (Linux).
fn cpu_nanos() -> u64 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
