//! Fuzzing the real component: random configs and entities, structured to
//! reach every rule (placeholders, control characters, huge values, secret
//! references, numbers, dates, URLs), through `check`, `preview` and `send`
//! (against a stub scripted to fail in every way), in wasmtime, with the
//! invariants every tenant relies on checked after each call:
//!
//! - no host error: bad input never traps, times out or runs out of memory;
//! - answers are bounded: at most 50 problems, short messages, no raw
//!   control character in any text returned;
//! - the API key never appears in anything returned;
//! - `invalid` and `blocked` send nothing; a send's attempts share one
//!   idempotency key.
//!
//! It runs for `SIPTEL_FUZZ_SECONDS` (default 15) or `SIPTEL_FUZZ_INPUTS`
//! inputs, whichever comes first, from `SIPTEL_FUZZ_SEED` (default: the
//! clock; printed, so a failure can be replayed), and prints inputs per
//! second. The README records a long run.

mod common;

use common::{action, stub_key};
use siptel_sms::model::{
    CampaignVariable, Config, EncodingPolicy, Entity, Language, Outcome, Problem, Purpose, Weekdays,
};
use siptel_sms_host::{CallOptions, Called, HostError};
use siptel_stub::{Scripted, StubConfig, StubSiptel};
use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A small, fast, seedable generator (xorshift64*): no dependency, and the
/// same seed replays the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Pieces that reach the rules: placeholders good and bad, escapes,
/// characters that change the encoding, invisible and control characters.
const PIECES: &[&str] = &[
    "Hola ",
    "{{name}}",
    "{{ phone }}",
    "{{missing}}",
    "{{",
    "}}",
    "{{{{",
    "{{}}",
    "{{1bad}}",
    "{{a.b-c_d}}",
    "á",
    "ñ",
    "€",
    "[",
    "😀",
    "\n",
    "\t",
    "\r\n",
    "\r",
    "\u{0}",
    "\u{7}",
    "\u{1b}]0;x\u{7}",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "\u{ad}",
    "secret:",
    "secret:tenant",
    "56961234567",
    "+56 9 6123 4567",
    "9 6123 4567",
    "0056-9-6123-4567",
    "22345678",
    "+800 1234 5678",
    "12.345.678-5",
    "2026-12-24",
    "2026-02-30",
    "09:00",
    "23:59:59",
    "25:00",
    "America/Santiago",
    "Asia/Tokyo",
    "http://127.0.0.1:1",
    "https://user@evil.example",
    "https://api.siptel.cl/a/%2e%2e/b",
    " ",
    "x",
    "0",
];

/// A text of random pieces; now and then a long or huge one.
fn text(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(6) {
        out.push_str(rng.pick(PIECES));
    }
    match rng.below(100) {
        0 => out.push_str(&"a".repeat(5_000 + rng.below(100_000))),
        1 => out.push_str(&"ñ".repeat(rng.below(5_000))),
        2 => out.push_str(&"{{x}}".repeat(rng.below(300))),
        _ => {}
    }
    out
}

fn optional(rng: &mut Rng) -> Option<String> {
    rng.chance(60).then(|| text(rng))
}

/// A config that is valid at the core (so later rules are reached) with
/// random fields replaced, plus the literal API key it carries, if any.
fn config(rng: &mut Rng, stub: &StubSiptel) -> (Config, Option<String>) {
    let key = format!("KEY{:016x}", rng.next());
    let mut config = Config {
        api_key: key.clone().into(),
        sender: "56961234567".into(),
        recipient: "56987654321".into(),
        message: Some("Hola {{name}}".into()),
        window_start: "00:00".into(),
        window_end: "23:59:59".into(),
        weekdays: Weekdays::ALL,
        send_on_holidays: Some(true),
        base_url: Some(stub.base_url()),
        // Short, so a stalled answer costs a tenth of a second.
        deadline_ms: Some(400),
        attempt_timeout_ms: Some(100),
        ..Config::default()
    };
    let literal_key = if rng.chance(20) {
        config.api_key = text(rng).into();
        None
    } else {
        Some(key)
    };
    for _ in 0..rng.below(5) {
        match rng.below(22) {
            0 => config.sender = text(rng),
            1 => config.recipient = text(rng),
            2 => config.message = optional(rng),
            3 => config.window_start = text(rng),
            4 => config.window_end = text(rng),
            5 => config.weekdays = Weekdays::from_bits(rng.next() as u8),
            6 => config.campaign = optional(rng),
            7 => {
                let most = if rng.chance(5) { 300 } else { 4 };
                config.campaign_variables = (0..rng.below(most))
                    .map(|_| CampaignVariable {
                        name: text(rng),
                        value: text(rng),
                    })
                    .collect()
            }
            8 => config.rut = optional(rng),
            9 => config.error_intent = optional(rng),
            10 => config.time_zone = optional(rng),
            11 => config.max_attempts = Some(rng.below(12) as u32),
            12 => config.base_url = optional(rng),
            13 => {
                config.language = Some(if rng.chance(50) {
                    Language::Es
                } else {
                    Language::En
                })
            }
            14 => {
                config.encoding = Some(match rng.below(3) {
                    0 => EncodingPolicy::Auto,
                    1 => EncodingPolicy::Gsm7Transliterate,
                    _ => EncodingPolicy::Ucs2,
                })
            }
            15 => config.max_segments = Some(rng.below(12) as u32),
            16 => config.idempotency_key = optional(rng),
            17 => config.deadline_ms = Some(rng.next() as u32 % 1_000),
            18 => {
                config.purpose = Some(if rng.chance(50) {
                    Purpose::Promotional
                } else {
                    Purpose::Transactional
                })
            }
            19 => config.opt_out = optional(rng),
            20 => config.send_on_holidays = Some(rng.chance(50)),
            _ => config.closed_dates = (0..rng.below(4)).map(|_| text(rng)).collect(),
        }
    }
    (config, literal_key)
}

fn entities(rng: &mut Rng) -> Vec<Entity> {
    let count = if rng.chance(3) { 300 } else { rng.below(5) };
    let mut list: Vec<Entity> = (0..count)
        .map(|_| Entity {
            name: rng
                .pick(&["name", "phone", "missing", "x", "secret"])
                .to_owned(),
            value: text(rng),
            kind: None,
        })
        .collect();
    list.push(Entity {
        name: "name".into(),
        value: "Ana".into(),
        kind: None,
    });
    list
}

/// A scripted way for Siptel to answer (or not).
fn script(rng: &mut Rng) -> Vec<Scripted> {
    (0..rng.below(3))
        .map(|_| match rng.below(8) {
            0 => Scripted::status(503),
            1 => Scripted::status(429).with_header("retry-after", "0"),
            2 => Scripted::status(201).cut_after(rng.below(40)),
            3 => Scripted::status(201).stall_after(rng.below(40)),
            4 => Scripted::drop_connection(),
            5 => Scripted::raw(201, "<html>"),
            6 => Scripted::status(400 + rng.below(30) as u16),
            _ => Scripted::status(201),
        })
        .collect()
}

/// Every text of an answer: problems, outcome, descriptions.
fn assert_bounded_and_secret(
    texts: &[String],
    problems: &[Problem],
    key: Option<&str>,
    input: &str,
) {
    assert!(
        problems.len() <= 50,
        "{} problems for {input}",
        problems.len()
    );
    for problem in problems {
        assert!(
            problem.message.chars().count() < 1_000,
            "{problem:?} for {input}"
        );
    }
    for text in texts {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "a control character in {text:?} for {input}"
        );
        if let Some(key) = key {
            assert!(!text.contains(key), "the key in {text:?} for {input}");
        }
    }
}

#[track_caller]
fn no_host_error<T>(result: Result<Called<T>, siptel_sms_host::Failed>, input: &str) -> T {
    match result {
        Ok(called) => called.value,
        Err(Called {
            value: HostError::Busy(_),
            ..
        }) => unreachable!("one call at a time"),
        Err(failed) => panic!("host error {failed} ({failed:?}) for {input}"),
    }
}

#[tokio::test]
async fn random_input_never_breaks_the_sandbox_the_answer_or_the_key() {
    let seconds: u64 = env_number("SIPTEL_FUZZ_SECONDS", 15);
    let inputs: u64 = env_number("SIPTEL_FUZZ_INPUTS", u64::MAX);
    let seed: u64 = env_number(
        "SIPTEL_FUZZ_SEED",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1,
    );
    println!("fuzz seed {seed} (SIPTEL_FUZZ_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let stub = StubSiptel::start(StubConfig {
        api_key: stub_key(),
        ..StubConfig::default()
    })
    .expect("the stub starts");
    let action = action();
    let (mut done, mut sends) = (0u64, 0u64);
    let started = Instant::now();
    let budget = Duration::from_secs(seconds);
    while done < inputs && started.elapsed() < budget {
        let (config, key) = config(&mut rng, &stub);
        let entities = entities(&mut rng);
        let input = format!("input {done} of seed {seed}");
        let options = CallOptions {
            siptel_base_url: Some(stub.base_url()),
            wall_clock: Some(UNIX_EPOCH + Duration::from_secs(rng.next() % 4_102_444_800)),
            ..CallOptions::default()
        };

        let problems = no_host_error(action.check(&config, &options).await, &input);
        let texts: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        assert_bounded_and_secret(&texts, &problems, key.as_deref(), &input);

        let previewed = no_host_error(action.preview(&config, &entities, &options).await, &input);
        let (texts, problems) = match &previewed {
            Ok(preview) => (vec![serde_json::to_string(preview).unwrap()], Vec::new()),
            Err(problems) => (
                problems.iter().map(|p| p.message.clone()).collect(),
                problems.clone(),
            ),
        };
        assert_bounded_and_secret(&texts, &problems, key.as_deref(), &input);

        // Sends take milliseconds: one input in ten.
        if rng.chance(10) {
            sends += 1;
            stub.reset();
            stub.script(script(&mut rng));
            let send_options = CallOptions {
                wall_clock: None,
                ..options
            };
            let outcome =
                no_host_error(action.send(&config, &entities, &send_options).await, &input);
            let requests = stub.requests();
            match &outcome {
                Outcome::Invalid { problems } => {
                    assert!(requests.is_empty(), "invalid sent something: {input}");
                    let texts: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
                    assert_bounded_and_secret(&texts, problems, key.as_deref(), &input);
                }
                Outcome::Blocked(_) => {
                    assert!(requests.is_empty(), "blocked sent something: {input}")
                }
                Outcome::Sent(_) | Outcome::Failed(_) => {
                    let keys: BTreeSet<_> = requests
                        .iter()
                        .filter_map(|r| r.header("idempotency-key"))
                        .collect();
                    assert!(keys.len() <= 1, "{keys:?} for {input}");
                    let text = serde_json::to_string(&outcome).unwrap();
                    assert_bounded_and_secret(&[text], &[], key.as_deref(), &input);
                }
            }
        }
        done += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fuzzed {done} inputs ({sends} sends) in {elapsed:.1} s: {:.0} inputs/s, \
         each a check and a preview, one in ten a send",
        done as f64 / elapsed
    );
    assert!(done > 0);
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
