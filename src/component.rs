//! The thin adapter between the WIT world and the plain Rust logic: generated
//! bindings stay private here and values are converted at the boundary; WASI
//! reaches the logic through `wasi_adapter`.

mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "sms-action",
        // One set of WASI import bindings: the `wasi` crate's.
        with: {
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/streams@0.2.12": wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            "wasi:random/random@0.2.12": wasi::random::random,
        },
    });
}

use bindings::exports::siptel::sms::action::Guest;
use bindings::siptel::sms::form as wit_form;
use bindings::siptel::sms::types as wit_types;

use crate::model::{Config, Entity};
use crate::wasi_adapter::{WasiClock, WasiHttp, WasiRandom};
use wasi::clocks::wall_clock;

crate::wit_conversions!();

struct Component;

bindings::export!(Component with_types_in bindings);

fn entities(list: Vec<wit_types::Entity>) -> Vec<Entity> {
    list.into_iter().map(Into::into).collect()
}

impl Guest for Component {
    fn send(config: wit_types::Config, list: Vec<wit_types::Entity>) -> wit_types::Outcome {
        let config = Config::from(config);
        crate::send(
            &config,
            &entities(list),
            &mut WasiHttp,
            &mut WasiClock,
            &mut WasiRandom,
        )
        .into()
    }

    fn check(config: wit_types::Config) -> Vec<wit_types::Problem> {
        crate::check(&config.into())
            .into_iter()
            .map(Into::into)
            .collect()
    }

    fn preview(
        config: wit_types::Config,
        list: Vec<wit_types::Entity>,
        at: Option<wall_clock::Datetime>,
    ) -> Result<wit_types::SendPreview, Vec<wit_types::Problem>> {
        let at = at.unwrap_or_else(wall_clock::now);
        let seconds = i64::try_from(at.seconds).unwrap_or(i64::MAX);
        crate::preview(&config.into(), &entities(list), seconds)
            .map(Into::into)
            .map_err(|problems| problems.into_iter().map(Into::into).collect())
    }

    fn describe() -> wit_form::ActionForm {
        crate::describe().into()
    }
}
