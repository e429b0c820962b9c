//! End to end: the sending window, read by the real `.wasm` from
//! `wasi:clocks/wall-clock` set by the host to a fixed instant. A blocked send
//! reaches nobody (the stub gets no request); an allowed one reaches the stub.
//!
//! America/Santiago in 2026: 00:00–00:59 of Sunday 6 September is skipped
//! (-04:00 -> -03:00 at 04:00 UTC) and 23:00–23:59 of Saturday 4 April is
//! repeated (-03:00 -> -04:00 at 03:00 UTC).

mod common;

use common::*;
use siptel_sms::model::{BlockReason, Config, Language, Weekdays};
use siptel_stub::StubSiptel;

/// Weekdays from their bits, Monday = bit 0.
const TUESDAY: Weekdays = Weekdays::from_bits(1 << 1);
const SATURDAY: Weekdays = Weekdays::from_bits(1 << 5);

/// The baseline config with the window `start`–`end` on `weekdays`, in the
/// default zone (America/Santiago).
fn windowed(stub: &StubSiptel, start: &str, end: &str, weekdays: Weekdays) -> Config {
    Config {
        window_start: start.into(),
        window_end: end.into(),
        weekdays,
        ..config(stub)
    }
}

/// Office hours: 09:00:00–18:00:00, Monday to Friday.
fn office_hours(stub: &StubSiptel) -> Config {
    windowed(stub, "09:00:00", "18:00:00", Weekdays::WORKDAYS)
}

/// Office hours, closed on Chile's public holidays (the default).
fn office_hours_without_holidays(stub: &StubSiptel) -> Config {
    Config {
        send_on_holidays: None,
        ..office_hours(stub)
    }
}

#[tokio::test]
async fn blocked_on_a_public_holiday_sends_nothing() {
    let stub = stub();
    // Friday 18 September 2026, Independence Day, mid-morning.
    let config = office_hours_without_holidays(&stub);
    let called = send_at(&config, &[], "2026-09-18T10:00:00-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::Holiday);
    assert!(b.description.contains("18 de septiembre"), "{b:?}");
    // Saturday 19 is a holiday too, then Sunday.
    assert_eq!(b.next_allowed, "2026-09-21T09:00:00-03:00");
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn next_allowed_skips_a_holiday_weekend_then_the_send_goes_out() {
    let stub = stub();
    let config = Config {
        closed_dates: vec!["2026-04-06".into()],
        ..office_hours_without_holidays(&stub)
    };
    // Thursday 2 April 2026 after hours: Good Friday, Holy Saturday, Easter
    // Sunday, then Monday 6 April closed by the business: Tuesday 7.
    let called = send_at(&config, &[], "2026-04-02T19:00:00-03:00").await;
    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-04-07T09:00:00-04:00");
    let called = send_at(&config, &[], "2026-04-06T10:00:00-04:00").await;
    assert_eq!(
        expect_blocked(&called.value).reason,
        BlockReason::ClosedDate
    );
    assert_eq!(stub.request_count(), 0);

    expect_sent(&send_at(&config, &[], &b.next_allowed).await.value);
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn blocked_on_a_disabled_weekday() {
    let stub = stub();
    // Sunday 13 September 2026, mid-morning.
    let called = send_at(&office_hours(&stub), &[], "2026-09-13T10:00:00-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::WeekdayDisabled);
    assert_eq!(b.next_allowed, "2026-09-14T09:00:00-03:00");
    assert_eq!(b.wait_seconds, 23 * 3_600);
    assert_eq!(
        b.description,
        "Es domingo en America/Santiago, día sin envíos (días permitidos: lunes, \
         martes, miércoles, jueves y viernes; horario 09:00:00–18:00:00); el envío \
         se permite desde 2026-09-14T09:00:00-03:00."
    );
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn blocked_before_the_window_starts() {
    let stub = stub();
    // Monday 7 September 2026, an hour before the window opens.
    let called = send_at(&office_hours(&stub), &[], "2026-09-07T08:00:00-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-09-07T09:00:00-03:00");
    assert_eq!(b.wait_seconds, 3_600);
    assert_eq!(
        b.description,
        "Fuera del horario permitido (09:00:00–18:00:00, America/Santiago); el envío \
         se permite desde 2026-09-07T09:00:00-03:00."
    );
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn blocked_after_the_window_ends_skips_the_weekend() {
    let stub = stub();
    let config = Config {
        language: Some(Language::En),
        ..office_hours(&stub)
    };
    // Friday 11 September 2026, one second after the window closed.
    let called = send_at(&config, &[], "2026-09-11T18:00:01-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-09-14T09:00:00-03:00");
    assert_eq!(b.wait_seconds, 63 * 3_600 - 1);
    assert_eq!(
        b.description,
        "Outside the allowed hours (09:00:00–18:00:00, America/Santiago); sending is \
         allowed from 2026-09-14T09:00:00-03:00."
    );
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn sent_inside_the_window() {
    let stub = stub();
    let config = office_hours(&stub);
    let called = send_at(&config, &[], "2026-09-07T10:00:00-03:00").await;

    expect_sent(&called.value);
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/sms");
    assert_eq!(
        requests[0].json().unwrap()["message"],
        "Hola Ana, su hora es el lunes 10:30."
    );
    assert_eq!(stub.sent_count(), 1);
}

#[tokio::test]
async fn sent_at_both_ends_of_the_window_which_are_included() {
    let stub = stub();
    let config = office_hours(&stub);
    for at in ["2026-09-07T09:00:00-03:00", "2026-09-07T18:00:00-03:00"] {
        let called = send_at(&config, &[], at).await;
        expect_sent(&called.value);
    }
    assert_eq!(stub.request_count(), 2);
    assert_eq!(stub.sent_count(), 2);
}

#[tokio::test]
async fn sent_inside_an_overnight_window_after_midnight_on_the_local_dates_weekday() {
    let stub = stub();
    // 22:00–06:00 on Tuesdays only: Monday night's hours belong to Monday
    // (off), Tuesday's early and late hours to Tuesday.
    let config = windowed(&stub, "22:00:00", "06:00:00", TUESDAY);

    // Tuesday 02:00 local (the window opened on Monday evening, a day off).
    expect_sent(
        &send_at(&config, &[], "2026-09-15T02:00:00-03:00")
            .await
            .value,
    );
    // Tuesday 23:30 local is already Wednesday in UTC: the local date counts.
    expect_sent(
        &send_at(&config, &[], "2026-09-15T23:30:00-03:00")
            .await
            .value,
    );
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn blocked_inside_an_overnight_window_on_a_disabled_local_date() {
    let stub = stub();
    let config = windowed(&stub, "22:00:00", "06:00:00", TUESDAY);
    // Monday 22:30 local is inside the hours, and already Tuesday in UTC.
    let called = send_at(&config, &[], "2026-09-14T22:30:00-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::WeekdayDisabled);
    assert_eq!(b.next_allowed, "2026-09-15T00:00:00-03:00");
    assert_eq!(b.wait_seconds, 90 * 60);
    assert_eq!(
        b.description,
        "Es lunes en America/Santiago, día sin envíos (días permitidos: martes; \
         horario 22:00:00–06:00:00, cruza la medianoche); el envío se permite desde \
         2026-09-15T00:00:00-03:00."
    );
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn blocked_before_a_window_that_starts_inside_the_skipped_hour_of_the_dst_change() {
    let stub = stub();
    // 00:30 of Sunday 6 September 2026 does not exist in Santiago: the day
    // starts at 01:00 (-03:00), which is the first allowed instant.
    let config = windowed(&stub, "00:30:00", "06:00:00", Weekdays::ALL);
    let called = send_at(&config, &[], "2026-09-05T23:00:00-04:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-09-06T01:00:00-03:00");
    // One real hour (03:00Z -> 04:00Z), not the hour and a half of the wall clock.
    assert_eq!(b.wait_seconds, 3_600);
    assert!(
        b.description.contains("America/Santiago"),
        "{}",
        b.description
    );
    assert_eq!(stub.request_count(), 0);

    // At that instant the send goes out.
    expect_sent(&send_at(&config, &[], &b.next_allowed).await.value);
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn blocked_between_the_two_passes_of_the_repeated_hour_of_the_dst_change() {
    let stub = stub();
    // Saturday 4 April 2026: 23:00–23:59 happens at -03:00, then again at
    // -04:00; a window inside that hour opens twice. (It is also Holy
    // Saturday, a public holiday: sending on holidays is on here.)
    let config = Config {
        language: Some(Language::En),
        send_on_holidays: Some(true),
        ..windowed(&stub, "23:30:00", "23:45:00", SATURDAY)
    };
    let called = send_at(&config, &[], "2026-04-04T23:46:00-03:00").await;

    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-04-04T23:30:00-04:00");
    assert_eq!(b.wait_seconds, 44 * 60);
    assert_eq!(
        b.description,
        "Outside the allowed hours (23:30:00–23:45:00, America/Santiago); sending is \
         allowed from 2026-04-04T23:30:00-04:00."
    );
    assert_eq!(stub.request_count(), 0);

    expect_sent(
        &send_at(&config, &[], "2026-04-04T23:40:00-04:00")
            .await
            .value,
    );
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn the_configured_time_zone_decides_the_local_time() {
    let stub = stub();
    // Monday 6 July 2026, 12:30 UTC: 08:30 in Santiago (winter, -04:00) but
    // 09:30 in Punta Arenas (-03:00 all year).
    let at = "2026-07-06T12:30:00Z";
    let santiago = office_hours(&stub);
    let called = send_at(&santiago, &[], at).await;
    let b = expect_blocked(&called.value);
    assert_eq!(b.reason, BlockReason::OutsideHours);
    assert_eq!(b.next_allowed, "2026-07-06T09:00:00-04:00");
    assert_eq!(b.wait_seconds, 30 * 60);
    assert!(
        b.description.contains("America/Santiago"),
        "{}",
        b.description
    );
    assert_eq!(stub.request_count(), 0);

    let punta_arenas = Config {
        time_zone: Some("America/Punta_Arenas".into()),
        ..office_hours(&stub)
    };
    expect_sent(&send_at(&punta_arenas, &[], at).await.value);
    assert_eq!(stub.request_count(), 1);

    // And a block there is described in that zone.
    let called = send_at(&punta_arenas, &[], "2026-07-06T22:00:00Z").await;
    let b = expect_blocked(&called.value);
    assert_eq!(b.next_allowed, "2026-07-07T09:00:00-03:00");
    assert!(
        b.description.contains("America/Punta_Arenas"),
        "{}",
        b.description
    );
    assert_eq!(stub.request_count(), 1);
}
