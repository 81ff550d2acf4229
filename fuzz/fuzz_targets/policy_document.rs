//! Any text: parsing and validating a policy document never panics, and a document
//! that parses survives its own compact form.
#![no_main]

use iamctl_policy::{DocumentKind, PolicyDocument};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [
        DocumentKind::Managed,
        DocumentKind::Trust,
        DocumentKind::RoleInline,
    ] {
        if let Ok(doc) = PolicyDocument::parse("fuzz.json", text, kind) {
            let again = PolicyDocument::parse("fuzz.json", &doc.to_compact(), kind)
                .expect("a valid document's compact form is valid");
            assert!(doc.same_as(&again));
        }
    }
});
