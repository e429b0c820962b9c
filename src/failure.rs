//! Descriptions of a failed send, for the error intent: what happened and what
//! to do, in Spanish or English.
//!
//! The inputs are only the code, the attempts, the last HTTP status, whether
//! Siptel may have accepted the message and the idempotency key, so a
//! description can never contain the API key or the message text. A send
//! that may have reached Siptel is never described as "not sent", and its
//! description never advises a blind retry: it names the idempotency key that
//! makes a retry safe.

use crate::delivery::Undelivered;
use crate::model::{FailureCode, Language};

/// What happened and what to do, in `lang`. Adds the attempts made and the
/// last HTTP status when they tell something: after retries, when no attempt
/// could be made, or for codes whose status is news (server errors,
/// unexpected statuses, malformed answers, timeouts and connection failures
/// after an earlier answer, the deadline, an unconfirmed acceptance). Ends
/// with how to check or retry safely when Siptel may have accepted the
/// message.
pub fn describe(failed: &Undelivered, idempotency_key: &str, lang: Language) -> String {
    let Undelivered {
        code,
        attempts,
        last_status,
        possibly_sent,
    } = *failed;
    let (es, en) = sentence(code);
    let mut text = lang.pick(es, en).to_owned();
    let status_is_news = matches!(
        code,
        FailureCode::ServerError
            | FailureCode::UnexpectedStatus
            | FailureCode::MalformedResponse
            | FailureCode::Timeout
            | FailureCode::ConnectionFailed
            | FailureCode::DeadlineExceeded
            | FailureCode::Unconfirmed
    );
    if attempts != 1 || (status_is_news && last_status.is_some()) {
        text.push(' ');
        text.push_str(&details(attempts, last_status, lang));
    }
    if possibly_sent {
        text.push(' ');
        text.push_str(&lang.pick(
            format!(
                "El SMS pudo haberse enviado: no repita el envío con otra clave; verifíquelo en \
                 Siptel o repítalo con la clave de idempotencia {idempotency_key}, con la que \
                 Siptel nunca envía dos veces."
            ),
            format!(
                "The SMS may have been sent: do not repeat the send with another key; check at \
                 Siptel, or repeat it with idempotency key {idempotency_key}, with which Siptel \
                 never sends twice."
            ),
        ));
    }
    text
}

/// The main sentence of `code`: (Spanish, English).
fn sentence(code: FailureCode) -> (&'static str, &'static str) {
    match code {
        FailureCode::InvalidApiKey => (
            "Siptel rechazó la clave de API (incorrecta o revocada): revise la clave de \
             acceso del servicio en la configuración de la acción.",
            "Siptel rejected the API key (wrong or revoked): check the service access key \
             in the action's configuration.",
        ),
        FailureCode::InsufficientBalance => (
            "Saldo insuficiente en Siptel: recargue la cuenta y vuelva a intentar.",
            "Insufficient balance at Siptel: top up the account and try again.",
        ),
        FailureCode::SenderNotAuthorized => (
            "Siptel no autoriza el número remitente para esta cuenta: use un remitente \
             habilitado o pida a Siptel que lo autorice.",
            "Siptel has not authorised the sender number for this account: use an enabled \
             sender or ask Siptel to authorise it.",
        ),
        FailureCode::IpNotAuthorized => (
            "Siptel no reconoce la IP de origen: configure el RUT de la cuenta en la acción \
             o registre la IP en Siptel.",
            "Siptel does not recognise the calling IP: set the account's RUT in the action \
             or register the IP with Siptel.",
        ),
        FailureCode::SmsNotEnabled => (
            "El envío de SMS no está habilitado en la cuenta de Siptel: pida a Siptel que \
             lo active.",
            "SMS sending is not enabled on the Siptel account: ask Siptel to enable it.",
        ),
        FailureCode::InvalidNumber => (
            "Siptel rechazó un número: revise que remitente y destinatario estén en formato \
             internacional sin '+' (p. ej. 56961234567) y que el destinatario sea un móvil.",
            "Siptel rejected a number: check that sender and recipient are international \
             digits without '+' (e.g. 56961234567) and that the recipient is a mobile.",
        ),
        FailureCode::InvalidRequest => (
            "Siptel rechazó la solicitud por no ser válida: revise la configuración de la \
             acción; si persiste, contacte a soporte.",
            "Siptel rejected the request as invalid: check the action's configuration; if \
             it persists, contact support.",
        ),
        FailureCode::CampaignNotFound => (
            "Siptel no encontró la campaña indicada: revise el nombre de la campaña \
             (mayúsculas incluidas).",
            "Siptel found no campaign of that name: check the campaign name (case \
             included).",
        ),
        FailureCode::IdempotencyConflict => (
            "La clave de idempotencia ya se usó con otro mensaje en las últimas 24 horas: \
             use una clave distinta para cada envío distinto.",
            "The idempotency key was already used with another message in the last 24 \
             hours: use a different key for each different send.",
        ),
        FailureCode::TemplateInvalid => (
            "La plantilla de la campaña en Siptel no es válida: corríjala en Siptel y \
             vuelva a intentar.",
            "The campaign's template at Siptel is invalid: fix it at Siptel and try again.",
        ),
        FailureCode::MissingVariable => (
            "La plantilla de la campaña necesita una variable que no se envió: agréguela a \
             las variables de la campaña.",
            "The campaign's template needs a variable that was not sent: add it to the \
             campaign variables.",
        ),
        FailureCode::RateLimited => (
            "Siptel limitó la tasa de envíos o pidió esperar más de lo que permite el plazo: \
             vuelva a intentar más tarde o aumente el plazo total (deadline-ms).",
            "Siptel limited the sending rate or asked to wait longer than the time budget \
             allows: try again later or raise the budget (deadline-ms).",
        ),
        FailureCode::ServerError => (
            "Siptel respondió con un error del servidor: el servicio puede estar con \
             problemas; vuelva a intentar en unos minutos.",
            "Siptel answered with a server error: the service may be having trouble; try \
             again in a few minutes.",
        ),
        FailureCode::Timeout => (
            "Siptel no respondió a tiempo: vuelva a intentar más tarde o aumente el tiempo \
             por intento (attempt-timeout-ms).",
            "Siptel did not answer in time: try again later or raise the per-attempt \
             timeout (attempt-timeout-ms).",
        ),
        FailureCode::ConnectionFailed => (
            "No se pudo conectar con Siptel o la conexión se cortó: revise la URL base y la \
             conectividad, y vuelva a intentar.",
            "Could not connect to Siptel or the connection broke: check the base URL and \
             the network, and try again.",
        ),
        FailureCode::RequestDenied => (
            "La plataforma bloqueó o no pudo hacer la conexión saliente hacia Siptel: \
             autorice la URL base de Siptel en su política de red; nada se envió.",
            "The platform blocked or could not make the outgoing request to Siptel: allow \
             Siptel's base URL in its network policy; nothing was sent.",
        ),
        FailureCode::MalformedResponse => (
            "No se pudo interpretar la respuesta de Siptel (o superó 64 KiB): si persiste, \
             revise la URL base o contacte a soporte de Siptel.",
            "Siptel's answer could not be understood (or exceeded 64 KiB): if it persists, \
             check the base URL or contact Siptel support.",
        ),
        FailureCode::UnexpectedStatus => (
            "Siptel respondió con un estado HTTP inesperado: revise la URL base; si \
             persiste, contacte a soporte de Siptel.",
            "Siptel answered with an unexpected HTTP status: check the base URL; if it \
             persists, contact Siptel support.",
        ),
        FailureCode::DeadlineExceeded => (
            "Se agotó el plazo del envío sin una confirmación de Siptel: vuelva a intentar \
             más tarde o aumente el plazo total (deadline-ms).",
            "The send's time budget ran out without a confirmation from Siptel: try again \
             later or raise the budget (deadline-ms).",
        ),
        FailureCode::Unconfirmed => (
            "Siptel aceptó el envío, pero su respuesta llegó cortada o se detuvo y ningún \
             intento posterior la confirmó: el SMS probablemente se envió.",
            "Siptel accepted the send, but its answer was cut off or stalled and no later \
             attempt confirmed it: the SMS was probably sent.",
        ),
    }
}

/// `Se hicieron 3 intentos; la última respuesta HTTP fue 503.` and the like.
fn details(attempts: u32, last_status: Option<u16>, lang: Language) -> String {
    let tried = match (attempts, lang) {
        (0, Language::Es) => "No se alcanzó a hacer ningún intento".to_owned(),
        (0, Language::En) => "No attempt could be made".to_owned(),
        (1, Language::Es) => "Se hizo 1 intento".to_owned(),
        (1, Language::En) => "1 attempt was made".to_owned(),
        (n, Language::Es) => format!("Se hicieron {n} intentos"),
        (n, Language::En) => format!("{n} attempts were made"),
    };
    match last_status {
        Some(status) => lang.pick(
            format!("{tried}; la última respuesta HTTP fue {status}."),
            format!("{tried}; the last HTTP status was {status}."),
        ),
        None => format!("{tried}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureCode::*;

    fn describe(
        code: FailureCode,
        attempts: u32,
        last_status: Option<u16>,
        lang: Language,
    ) -> String {
        let failed = Undelivered {
            code,
            attempts,
            last_status,
            possibly_sent: false,
        };
        super::describe(&failed, "sms-key-1", lang)
    }

    #[test]
    fn a_send_that_may_have_happened_names_the_key_and_no_blind_retry() {
        let failed = Undelivered {
            code: Unconfirmed,
            attempts: 3,
            last_status: Some(201),
            possibly_sent: true,
        };
        for lang in [Language::Es, Language::En] {
            let text = super::describe(&failed, "sms-abc123", lang);
            assert!(text.contains("sms-abc123"), "{text}");
            assert!(text.contains("201"), "{text}");
        }
        let en = super::describe(&failed, "sms-abc123", Language::En);
        assert!(
            en.contains("may have been sent") && en.contains("do not repeat"),
            "{en}"
        );
        // Without that risk, no key and no warning.
        let plain = describe(Timeout, 1, None, Language::En);
        assert!(
            !plain.contains("sms-key-1") && !plain.contains("may have been"),
            "{plain}"
        );
        for code in FailureCode::ALL {
            let es = describe(code, 1, None, Language::Es);
            assert!(
                !es.contains("antes de que Siptel aceptara"),
                "{code:?}: {es}"
            );
        }
    }

    #[test]
    fn every_code_is_described_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for code in FailureCode::ALL {
            let es = describe(code, 1, None, Language::Es);
            let en = describe(code, 1, None, Language::En);
            assert!(es.len() > 20 && en.len() > 20, "{code:?}");
            assert_ne!(es, en, "{code:?}");
            // What happened, then what to do.
            assert!(es.contains(':') && en.contains(':'), "{code:?}");
            assert!(es.ends_with('.') && en.ends_with('.'), "{code:?}");
            assert!(
                seen.insert(es) && seen.insert(en),
                "{code:?} repeats a text"
            );
        }
    }

    #[test]
    fn examples() {
        assert_eq!(
            describe(InsufficientBalance, 1, Some(402), Language::Es),
            "Saldo insuficiente en Siptel: recargue la cuenta y vuelva a intentar."
        );
        assert_eq!(
            describe(InsufficientBalance, 1, Some(402), Language::En),
            "Insufficient balance at Siptel: top up the account and try again."
        );
        assert!(describe(InsufficientBalance, 1, None, Language::default()).starts_with("Saldo"));
    }

    #[test]
    fn attempts_and_status_when_they_tell_something() {
        let es = describe(ServerError, 3, Some(503), Language::Es);
        assert!(
            es.ends_with("Se hicieron 3 intentos; la última respuesta HTTP fue 503."),
            "{es}"
        );
        let en = describe(ServerError, 3, Some(503), Language::En);
        assert!(
            en.ends_with("3 attempts were made; the last HTTP status was 503."),
            "{en}"
        );
        let en = describe(UnexpectedStatus, 1, Some(418), Language::En);
        assert!(
            en.ends_with("1 attempt was made; the last HTTP status was 418."),
            "{en}"
        );
        let es = describe(Timeout, 2, None, Language::Es);
        assert!(es.ends_with("Se hicieron 2 intentos."), "{es}");
        let en = describe(DeadlineExceeded, 0, None, Language::En);
        assert!(en.ends_with("No attempt could be made."), "{en}");
        // A plain final refusal needs no details.
        let en = describe(InvalidApiKey, 1, Some(401), Language::En);
        assert!(!en.contains("401") && !en.contains("attempt"), "{en}");
    }
}
