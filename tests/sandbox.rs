//! The sandbox, proven. Platforms load this component because a sandbox is
//! safer than native code: these tests run a hostile component (the
//! `sandbox-probe` of `host-harness/test-components/`, which loops, hoards
//! memory, floods its output and reaches for other hosts) and the real one
//! against the host's deadline, memory limit, output cap, egress policy and
//! secrets, and show that each holds.

mod common;

use common::{config, expect_failed, expect_sent, stub, stub_key, until};
use siptel_sms::model::{Config, Entity, FailureCode, FieldId, Outcome, ProblemCode, SendPreview};
use siptel_sms::secret::Secret;
use siptel_sms_host::{
    CallOptions, Called, Failed, HostError, HostOptions, Limits, LoadError, REDACTED, SiptelSms,
};
use siptel_stub::{Scripted, StubConfig, StubSiptel};
use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The API key only the host holds (under the name `siptel`).
const REAL_KEY: &str = "REAL-siptel-key-4d2b9e";
/// What configs carry instead.
const PLACEHOLDER: &str = "secret:siptel";

const CALL_TIMEOUT: Duration = Duration::from_millis(500);
const MEMORY_BYTES: usize = 8 << 20;
const OUTPUT_BYTES: usize = 4 << 10;

fn secrets() -> BTreeMap<String, Secret> {
    BTreeMap::from([("siptel".to_string(), REAL_KEY.into())])
}

/// The hostile probe under tight limits, compiled once for this test binary.
fn probe() -> &'static SiptelSms {
    static PROBE: OnceLock<SiptelSms> = OnceLock::new();
    PROBE.get_or_init(|| {
        let options = HostOptions {
            limits: Limits {
                call_timeout: CALL_TIMEOUT,
                memory_bytes: MEMORY_BYTES,
                output_bytes: OUTPUT_BYTES,
                ..Limits::default()
            },
            secrets: secrets(),
            ..common::host_options()
        };
        SiptelSms::from_file(siptel_sms_host::SANDBOX_PROBE_WASM, options).expect("the probe loads")
    })
}

/// The real component, with the host holding the Siptel key.
fn action() -> &'static SiptelSms {
    static ACTION: OnceLock<SiptelSms> = OnceLock::new();
    ACTION.get_or_init(|| {
        let options = HostOptions {
            secrets: secrets(),
            ..common::host_options()
        };
        SiptelSms::builtin(options).expect("the built component loads")
    })
}

/// A stub Siptel that accepts only the host's real key.
fn keyed_stub() -> StubSiptel {
    StubSiptel::start(StubConfig {
        api_key: REAL_KEY.into(),
        ..StubConfig::default()
    })
    .expect("the stub starts")
}

/// A probe config: `command` in `message`, the secret placeholder as API key.
fn command(command: &str) -> Config {
    Config {
        api_key: PLACEHOLDER.into(),
        message: Some(command.into()),
        ..Config::default()
    }
}

/// Egress allowed to `stub`, no secret granted.
fn stub_only(stub: &StubSiptel) -> CallOptions {
    CallOptions {
        siptel_base_url: Some(stub.base_url()),
        ..CallOptions::default()
    }
}

/// The call may use the host's `siptel` secret.
fn granted() -> CallOptions {
    CallOptions {
        secrets: BTreeSet::from(["siptel".to_string()]),
        ..CallOptions::default()
    }
}

/// Egress allowed to `stub` only, the `siptel` secret granted.
fn allow(stub: &StubSiptel) -> CallOptions {
    CallOptions {
        siptel_base_url: Some(stub.base_url()),
        ..granted()
    }
}

/// The probe's `preview` answer text, or the host error.
async fn preview(config: &Config) -> Result<Called<String>, Failed> {
    let called = probe().preview(config, &[], &granted()).await?;
    let message = match &called.value {
        Ok(SendPreview { message, .. }) => message.clone().unwrap_or_default(),
        Err(problems) => panic!("the probe answered problems: {problems:?}"),
    };
    Ok(Called {
        value: message,
        stdout: called.stdout,
        stderr: called.stderr,
        denied: called.denied,
    })
}

/// The probe still answers (an echo of its API key): the engine is usable.
async fn assert_probe_answers() {
    let called = preview(&command("echo")).await.expect("the probe answers");
    assert_eq!(called.value, PLACEHOLDER);
}

/// Nothing connected to `listener` (it is non-blocking).
fn assert_no_connection(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("a connection arrived from {from}"),
        Err(e) => panic!("accept failed: {e}"),
    }
}

fn silent_listener() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

// --- Deadline -------------------------------------------------------------

#[tokio::test]
async fn an_endless_loop_is_stopped_at_the_deadline_and_the_engine_stays_usable() {
    let probe = probe(); // Compiled before the clock starts.
    for _ in 0..2 {
        let started = Instant::now();
        let error = probe.describe(&granted()).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(error.value, HostError::Timeout(d) if d == CALL_TIMEOUT),
            "{error:?}"
        );
        assert!(elapsed >= CALL_TIMEOUT, "stopped early: {elapsed:?}");
        assert!(
            elapsed < Duration::from_secs(3),
            "stopped late: {elapsed:?}"
        );
        assert_probe_answers().await;
    }
}

#[tokio::test]
async fn a_spinning_guest_yields_its_thread_to_other_calls() {
    // One thread (the test's runtime): the echo finishes while the loop spins.
    let probe = probe(); // Compiled before the clock starts.
    let options = granted();
    let started = Instant::now();
    let (spin, echo) = tokio::join!(probe.describe(&options), async {
        let called = preview(&command("echo")).await;
        (called, started.elapsed())
    });
    assert!(
        matches!(
            spin,
            Err(Called {
                value: HostError::Timeout(_),
                ..
            })
        ),
        "{spin:?}"
    );
    let (called, echoed_after) = echo;
    assert_eq!(called.unwrap().value, PLACEHOLDER);
    assert!(
        echoed_after < CALL_TIMEOUT,
        "the echo waited for the loop: {echoed_after:?}"
    );
}

// --- Memory ---------------------------------------------------------------

#[tokio::test]
async fn a_memory_bomb_is_stopped_at_the_memory_limit() {
    let error = probe()
        .check(&command("bomb"), &granted())
        .await
        .unwrap_err();
    assert!(
        matches!(error.value, HostError::MemoryLimit(n) if n == MEMORY_BYTES),
        "{error:?}"
    );
    // The limit, not allocation as such, is what stopped it.
    let within = probe()
        .check(&command("grow:2097152"), &granted())
        .await
        .unwrap();
    assert!(within.value.is_empty());
    assert_probe_answers().await;
}

#[tokio::test]
async fn a_refused_growth_the_guest_survives_is_not_a_host_error() {
    // 64 MiB is refused; the guest copes and answers.
    let coped = probe()
        .check(&command("reserve:67108864"), &granted())
        .await
        .unwrap();
    assert!(coped.value.is_empty());
    // If it then runs away, what stops it is the deadline.
    let error = probe()
        .check(&command("reserve-spin:67108864"), &granted())
        .await
        .unwrap_err();
    assert!(matches!(error.value, HostError::Timeout(_)), "{error:?}");
}

#[tokio::test]
async fn the_memory_limit_holds_without_the_pooling_allocator_too() {
    let options = HostOptions {
        limits: probe().options().limits.clone(),
        pooling: false,
        ..common::host_options()
    };
    let probe = SiptelSms::from_file(siptel_sms_host::SANDBOX_PROBE_WASM, options).unwrap();
    assert!(!probe.pooling());
    let error = probe.check(&command("bomb"), &granted()).await.unwrap_err();
    assert!(
        matches!(error.value, HostError::MemoryLimit(n) if n == MEMORY_BYTES),
        "{error:?}"
    );
    assert!(
        probe
            .check(&command("grow:2097152"), &granted())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn host_resources_a_guest_may_hold_are_bounded() {
    // Each handle's memory is the host's: the table refuses past its cap.
    let error = probe()
        .check(&command("handles"), &granted())
        .await
        .unwrap_err();
    assert!(matches!(error.value, HostError::Trap(_)), "{error:?}");
    assert_probe_answers().await;
}

// --- Output ---------------------------------------------------------------

#[tokio::test]
async fn output_past_the_cap_is_cut_and_the_call_still_answers() {
    let called = preview(&command("flood:1048576")).await.unwrap();
    assert_eq!(called.stdout.len(), OUTPUT_BYTES);
    assert_eq!(called.stderr.len(), OUTPUT_BYTES);
    // The guest saw its writes fail once the cap was reached.
    assert!(
        called.value.starts_with("stdout accepted ") && called.value.contains(" then "),
        "{}",
        called.value
    );
}

#[tokio::test]
async fn a_guest_that_panics_on_cut_output_fails_cleanly_as_a_trap() {
    let error = preview(&command("print:1048576")).await.unwrap_err();
    assert!(matches!(error.value, HostError::Trap(_)), "{error:?}");
    assert_probe_answers().await;
}

// --- Host errors and outcomes ---------------------------------------------

#[tokio::test]
async fn host_errors_are_typed_and_distinct_from_the_actions_outcome() {
    let stub = stub();
    // The action's own answer: a failed send is `Ok`.
    let denied = probe()
        .send(&command("http://127.0.0.1:1/v1/sms"), &[], &allow(&stub))
        .await
        .unwrap();
    assert_eq!(
        expect_failed(&denied.value).code,
        FailureCode::RequestDenied
    );
    // The host's: a trap is `Err`, with the guest's own account of it.
    let trapped = probe()
        .send(&command("trap"), &[], &allow(&stub))
        .await
        .unwrap_err();
    assert!(matches!(trapped.value, HostError::Trap(_)), "{trapped:?}");
    assert!(
        trapped.stderr.contains("the probe traps on purpose"),
        "{trapped:?}"
    );
    // Bytes that are not a component never load.
    let loaded = SiptelSms::from_bytes(b"\0asm not really", HostOptions::default());
    assert!(matches!(loaded, Err(HostError::Load(_))));
}

// --- Capacity -------------------------------------------------------------

/// A host with 4 slots (1 kept for quick calls), 2 per tenant, and a short
/// wait for a slot.
fn small_host() -> SiptelSms {
    SiptelSms::builtin(HostOptions {
        limits: Limits {
            concurrent_calls: 4,
            quick_reserve: 1,
            tenant_slots: 2,
            slot_wait: Duration::from_millis(300),
            ..Limits::default()
        },
        ..common::host_options()
    })
    .expect("the component loads")
}

/// Options of a call for `tenant` to `stub`.
fn tenant(stub: &StubSiptel, tenant: &str) -> CallOptions {
    CallOptions {
        siptel_base_url: Some(stub.base_url()),
        tenant: Some(tenant.into()),
        ..CallOptions::default()
    }
}

#[tokio::test]
async fn slow_sends_never_keep_a_quick_call_waiting() {
    let host = small_host();
    let stub = stub();
    let slow = Scripted::status(201).with_delay(Duration::from_secs(2));
    stub.script(vec![slow; 3]);
    let config = config(&stub);
    let (a, b, c, d) = (
        tenant(&stub, "a"),
        tenant(&stub, "b"),
        tenant(&stub, "c"),
        tenant(&stub, "d"),
    );
    let started = Instant::now();
    // Three tenants' slow sends hold every slot a send may take.
    let (first, second, third, (quick, busy)) = tokio::join!(
        host.send(&config, &[], &a),
        host.send(&config, &[], &b),
        host.send(&config, &[], &c),
        async {
            until("the three slow sends at the stub", || {
                stub.request_count() >= 3
            })
            .await;
            let quick = host.check(&config, &d).await;
            let quick_after = started.elapsed();
            let busy = host.send(&config, &[], &d).await;
            ((quick, quick_after), (busy, started.elapsed()))
        },
    );
    let (quick, quick_after) = quick;
    assert!(quick.unwrap().value.is_empty());
    assert!(
        quick_after < Duration::from_secs(1),
        "the check waited {quick_after:?}"
    );
    let (busy, busy_after) = busy;
    assert!(
        matches!(&busy, Err(Called { value: HostError::Busy(d), .. }) if *d == Duration::from_millis(300)),
        "{busy:?}"
    );
    assert!(busy_after < Duration::from_millis(1_500), "{busy_after:?}");
    for send in [first, second, third] {
        expect_sent(&send.unwrap().value);
    }
}

#[tokio::test]
async fn one_tenant_holds_at_most_its_share_of_the_slots() {
    let host = small_host();
    let stub = stub();
    let slow = Scripted::status(201).with_delay(Duration::from_secs(1));
    stub.script(vec![slow; 3]);
    let config = config(&stub);
    let a = tenant(&stub, "a");
    let (first, second, third, other) = tokio::join!(
        host.send(&config, &[], &a),
        host.send(&config, &[], &a),
        async {
            until("a's two slow sends at the stub", || {
                stub.request_count() >= 2
            })
            .await;
            host.send(&config, &[], &a).await
        },
        async {
            until("a's two slow sends at the stub", || {
                stub.request_count() >= 2
            })
            .await;
            host.send(&config, &[], &tenant(&stub, "b")).await
        },
    );
    expect_sent(&first.unwrap().value);
    expect_sent(&second.unwrap().value);
    assert!(
        matches!(
            third,
            Err(Called {
                value: HostError::Busy(_),
                ..
            })
        ),
        "{third:?}"
    );
    expect_sent(&other.unwrap().value);
}

// --- Egress ---------------------------------------------------------------

#[tokio::test]
async fn a_config_pointing_at_another_stub_is_denied_and_that_stub_sees_nothing() {
    let allowed = stub();
    let other = stub();
    let config = config(&other);
    let called = action().send(&config, &[], &allow(&allowed)).await.unwrap();

    assert_eq!(
        expect_failed(&called.value).code,
        FailureCode::RequestDenied
    );
    assert_eq!(called.denied, [format!("http://{}", other.addr())]);
    assert_eq!(other.request_count(), 0);
    assert_eq!(allowed.request_count(), 0);
}

#[tokio::test]
async fn without_a_per_call_override_only_the_hosts_base_url_is_allowed() {
    // The host allows https://api.siptel.cl (the default); the config's stub is
    // refused before any connection.
    let stub = stub();
    let called = action()
        .send(&config(&stub), &[], &CallOptions::default())
        .await
        .unwrap();
    assert_eq!(
        expect_failed(&called.value).code,
        FailureCode::RequestDenied
    );
    assert_eq!(called.denied, [format!("http://{}", stub.addr())]);
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn a_request_to_another_loopback_port_is_refused_and_never_arrives() {
    let stub = keyed_stub();
    let listener = silent_listener();
    let port = stub.addr().port();
    let elsewhere = [
        format!("http://{}/v1/sms", listener.local_addr().unwrap()),
        format!("https://127.0.0.1:{port}/v1/sms"),
        format!("http://localhost:{port}/v1/sms"),
        format!("http://user@127.0.0.1:{port}/v1/sms"),
    ];
    for url in elsewhere {
        let called = probe()
            .send(&command(&url), &[], &allow(&stub))
            .await
            .unwrap();
        assert_eq!(
            expect_failed(&called.value).code,
            FailureCode::RequestDenied,
            "{url}"
        );
        assert_eq!(called.denied.len(), 1, "{url}: {:?}", called.denied);
    }
    assert_no_connection(&listener);
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn behind_a_gateway_path_only_that_path_is_reachable_and_gets_the_key() {
    let stub = keyed_stub();
    let gateway = CallOptions {
        siptel_base_url: Some(format!("{}/tenants/a", stub.base_url())),
        ..granted()
    };
    for escape in [
        "/tenants/a/../b/v1/sms",
        "/tenants/a/%2e%2e/b/v1/sms",
        "/tenants/b/v1/sms",
    ] {
        let url = format!("{}{escape}", stub.base_url());
        let called = probe().send(&command(&url), &[], &gateway).await.unwrap();
        assert_eq!(
            expect_failed(&called.value).code,
            FailureCode::RequestDenied,
            "{escape}"
        );
    }
    assert_eq!(stub.request_count(), 0);
    // Inside the path the request goes out, with the real key.
    let url = format!("{}/tenants/a/v1/sms", stub.base_url());
    let called = probe().send(&command(&url), &[], &gateway).await.unwrap();
    expect_sent(&called.value);
    assert_eq!(
        stub.requests()[0].header("authorization"),
        Some(format!("Bearer {REAL_KEY}").as_str())
    );
}

#[tokio::test]
async fn raw_sockets_files_and_the_environment_are_closed_to_the_guest() {
    let listener = silent_listener();
    let address = listener.local_addr().unwrap();
    let called = preview(&command(&format!("probe:{address}")))
        .await
        .unwrap();
    let found = called.value;
    assert!(
        found.starts_with("env=0 args=0 files=/=false,.=false,/etc/passwd=false tcp="),
        "{found}"
    );
    assert!(!found.contains("tcp=connected"), "{found}");
    assert!(found.ends_with("dns=false"), "{found}");
    assert_no_connection(&listener);
}

#[tokio::test]
async fn a_redirect_from_siptel_is_not_followed() {
    let siptel = stub();
    let elsewhere = stub();
    for status in [301, 302, 303, 307, 308] {
        siptel.reset();
        let location = format!("{}/v1/sms", elsewhere.base_url());
        siptel.script([Scripted::raw(status, "").with_header("location", location)]);
        let config = config(&siptel);
        let called = action().send(&config, &[], &allow(&siptel)).await.unwrap();

        let Outcome::Failed(failure) = &called.value else {
            panic!("{status}: expected failed, got {:?}", called.value)
        };
        assert_eq!(failure.code, FailureCode::UnexpectedStatus, "{status}");
        assert_eq!(failure.last_status, Some(status));
        assert_eq!(siptel.request_count(), 1, "{status}");
        assert!(called.denied.is_empty(), "{status}: {:?}", called.denied);
    }
    assert_eq!(elsewhere.request_count(), 0);
}

// --- Secrets --------------------------------------------------------------

#[tokio::test]
async fn a_secret_api_key_becomes_the_real_key_on_the_way_to_siptel() {
    let stub = keyed_stub();
    let mut config = config(&stub);
    config.api_key = PLACEHOLDER.into();

    let problems = action().check(&config, &granted()).await.unwrap().value;
    assert!(
        problems.is_empty(),
        "the guest refuses the placeholder: {problems:?}"
    );
    let called = action().send(&config, &[], &allow(&stub)).await.unwrap();

    expect_sent(&called.value);
    assert_eq!(
        stub.requests()[0].header("authorization"),
        Some(format!("Bearer {REAL_KEY}").as_str())
    );
    let seen = [
        serde_json::to_string(&called.value).unwrap(),
        called.stdout,
        called.stderr,
    ];
    for text in seen {
        assert!(
            !text.contains(REAL_KEY),
            "the key reached the guest: {text}"
        );
    }
}

#[tokio::test]
async fn the_real_key_never_reaches_the_guest() {
    // A guest that prints and returns every key it sees shows the placeholder.
    let echo = preview(&command("echo")).await.unwrap();
    assert_eq!(echo.value, PLACEHOLDER);
    assert!(echo.stdout.contains(PLACEHOLDER), "{}", echo.stdout);

    // Its request to Siptel carries the real key; its answer does not.
    let stub = keyed_stub();
    let url = format!("{}/v1/sms", stub.base_url());
    let posted = probe()
        .send(&command(&url), &[], &allow(&stub))
        .await
        .unwrap();
    expect_sent(&posted.value);
    assert_eq!(
        stub.requests()[0].header("authorization"),
        Some(format!("Bearer {REAL_KEY}").as_str())
    );

    for text in [
        echo.stdout,
        echo.stderr,
        posted.stdout,
        posted.stderr,
        format!("{:?}", posted.value),
        format!("{:?}", probe().options()),
    ] {
        assert!(
            !text.contains(REAL_KEY),
            "the key reached the guest: {text}"
        );
    }
}

#[tokio::test]
async fn a_key_written_in_the_config_is_scrubbed_from_guest_output() {
    // The probe prints the key it receives; the host scrubs it, as written
    // and as the flow variables resolve it.
    let mut config = command("echo");
    config.api_key = "{{siptel_key}}".into();
    let entities = [Entity {
        name: "siptel_key".into(),
        value: REAL_KEY.into(),
        kind: None,
    }];
    let called = probe()
        .preview(&config, &entities, &CallOptions::default())
        .await
        .unwrap();
    for text in [&called.stdout, &called.stderr] {
        assert!(!text.contains(REAL_KEY), "{text}");
        assert!(!text.contains("{{siptel_key}}"), "{text}");
        assert!(text.contains(REDACTED), "{text}");
    }
}

#[tokio::test]
async fn a_secret_not_granted_is_refused_before_the_guest_runs() {
    let stub = stub();
    for name in ["nope", "siptel"] {
        let mut config = config(&stub);
        config.api_key = format!("secret:{name}").into();
        // Another problem of the config is listed too.
        config.window_start = "25:00".into();
        let no_grant = CallOptions {
            siptel_base_url: Some(stub.base_url()),
            ..CallOptions::default()
        };
        let called = action().send(&config, &[], &no_grant).await.unwrap();
        let Outcome::Invalid { problems } = &called.value else {
            panic!("expected invalid, got {:?}", called.value)
        };
        let found: Vec<_> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            found,
            [
                (FieldId::ApiKey, ProblemCode::NotAllowed),
                (FieldId::WindowStart, ProblemCode::InvalidTime)
            ],
            "{name}"
        );
        let checked = action().check(&config, &no_grant).await.unwrap().value;
        assert_eq!(checked.len(), 2, "{checked:?}");
        let previewed = action()
            .preview(&config, &[], &no_grant)
            .await
            .unwrap()
            .value;
        assert_eq!(previewed.unwrap_err().len(), 2);
    }
    assert_eq!(stub.request_count(), 0, "the reference left the machine");
}

#[tokio::test]
async fn a_guest_that_names_a_secret_not_granted_is_refused_at_egress() {
    // The probe skips the component's validation: the egress hook is the
    // second line.
    let stub = keyed_stub();
    let url = format!("{}/v1/sms", stub.base_url());
    let mut sneaky = command(&url);
    sneaky.api_key = "plain-key".into();
    sneaky.campaign = Some(PLACEHOLDER.into());
    let called = probe().send(&sneaky, &[], &stub_only(&stub)).await.unwrap();
    assert_eq!(
        expect_failed(&called.value).code,
        FailureCode::RequestDenied
    );
    assert_eq!(
        called.denied,
        [format!(
            "http://{} (secret `siptel` not granted)",
            stub.addr()
        )]
    );
    assert_eq!(stub.request_count(), 0, "the placeholder left the machine");
}

#[tokio::test]
async fn two_tenants_each_reach_only_their_own_key() {
    let keys = BTreeMap::from([
        ("tenant_a".to_string(), "KEY-A-7f3e91".into()),
        ("tenant_b".to_string(), "KEY-B-0c44d2".into()),
    ]);
    let host = SiptelSms::builtin(HostOptions {
        secrets: keys,
        ..common::host_options()
    })
    .unwrap();
    let stub = StubSiptel::start(StubConfig {
        api_key: "KEY-B-0c44d2".into(),
        ..StubConfig::default()
    })
    .unwrap();
    let tenant_a = CallOptions {
        siptel_base_url: Some(stub.base_url()),
        secrets: BTreeSet::from(["tenant_a".to_string()]),
        tenant: Some("a".into()),
        ..CallOptions::default()
    };
    // A's flow names B's secret, directly or through an entity: refused.
    for (api_key, entities) in [
        ("secret:tenant_b", vec![]),
        ("{{k}}", common::entities(&[("k", "secret:tenant_b")])),
        ("secret:{{k}}", common::entities(&[("k", "tenant_b")])),
    ] {
        let mut config = config(&stub);
        config.api_key = api_key.into();
        let called = host.send(&config, &entities, &tenant_a).await.unwrap();
        let Outcome::Invalid { problems } = &called.value else {
            panic!("{api_key}: expected invalid, got {:?}", called.value)
        };
        assert_eq!(problems[0].code, ProblemCode::NotAllowed, "{api_key}");
        assert!(!format!("{called:?}").contains("KEY-B"), "{called:?}");
    }
    assert_eq!(stub.request_count(), 0);
    // A's own key goes out (and the stub, which knows only B's, refuses it).
    let mut config = config(&stub);
    config.api_key = "secret:tenant_a".into();
    let called = host.send(&config, &[], &tenant_a).await.unwrap();
    assert_eq!(
        expect_failed(&called.value).code,
        FailureCode::InvalidApiKey
    );
    assert_eq!(
        stub.requests()[0].header("authorization"),
        Some("Bearer KEY-A-7f3e91")
    );
    // B with its own grant is sent.
    let tenant_b = CallOptions {
        secrets: BTreeSet::from(["tenant_b".to_string()]),
        tenant: Some("b".into()),
        ..tenant_a
    };
    config.api_key = "secret:tenant_b".into();
    expect_sent(&host.send(&config, &[], &tenant_b).await.unwrap().value);
}

#[tokio::test]
async fn a_plain_api_key_passes_untouched() {
    let stub = stub();
    let called = action()
        .send(&config(&stub), &[], &allow(&stub))
        .await
        .unwrap();
    expect_sent(&called.value);
    assert_eq!(
        stub.requests()[0].header("authorization"),
        Some(format!("Bearer {}", stub_key()).as_str())
    );
}

#[test]
fn a_secret_that_cannot_be_a_header_fails_loading() {
    let options = HostOptions {
        secrets: BTreeMap::from([("siptel".to_string(), "two words".into())]),
        ..HostOptions::default()
    };
    let Err(HostError::Load(error)) = SiptelSms::from_bytes(b"", options) else {
        panic!("loaded with a bad secret")
    };
    assert!(matches!(&error, LoadError::Secret { name } if name == "siptel"));
    let message = error.to_string();
    assert!(message.contains("`siptel`"), "{message}");
    assert!(!message.contains("two words"), "{message}");
}
