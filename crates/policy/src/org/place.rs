//! Where in the organisation an SCP or RCP is attached.

use std::fmt;

/// The root, an OU (by its path of names from the root) or an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Place {
    Root,
    Ou { id: String, path: String },
    Account { id: String, name: String },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Root => f.write_str("the root"),
            Place::Ou { path, .. } => write!(f, "OU `{path}`"),
            Place::Account { id, name } => write!(f, "account `{name}` ({id})"),
        }
    }
}
