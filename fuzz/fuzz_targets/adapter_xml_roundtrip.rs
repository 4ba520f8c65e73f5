//! What the adapter sends comes back unchanged: any text PM Hub accepts for
//! a client, written into the XML add body and read back by the adapter's
//! own answer reader (as a sync's first read reads XPM's copy before
//! comparing it with PM Hub's), is the same text. Catches escaping and
//! whitespace mistakes in either direction.
#![no_main]

use domain::client::{ClientDetails, ClientKind};
use domain::settings::PushOptions;
use domain::sync::ClientPayload;
use domain::text::{ClientName, ShortText, StreetAddress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, String)| {
    let (name, city, street) = input;
    let Ok(name) = ClientName::new(&name) else {
        return;
    };
    let mut details = ClientDetails::named(name.clone(), ClientKind::Organisation);
    details.physical_address.city = ShortText::new(&city).ok();
    details.physical_address.street = StreetAddress::new(&street).ok();
    let sent: Vec<(&str, String)> = [
        Some(("Name", name.as_str().to_owned())),
        details.physical_address.street.as_ref().map(|s| ("Address", s.as_str().to_owned())),
        details.physical_address.city.as_ref().map(|c| ("City", c.as_str().to_owned())),
    ]
    .into_iter()
    .flatten()
    .collect();
    match xpm_adapter::fuzzing::client_round_trip(&ClientPayload::new(&details, PushOptions::default())) {
        Ok(fields) => {
            for (field, value) in sent {
                let echoed = fields.iter().find(|(f, _)| f == field).map(|(_, v)| v);
                assert_eq!(echoed, Some(&value), "{field} did not survive the XML round trip");
            }
        }
        // Text XML 1.0 cannot carry is refused before sending, by name.
        Err(xpm_adapter::WriteError::UnrepresentableCharacter { .. }) => {}
        Err(e) => panic!("a valid client could not be written: {e}"),
    }
});
