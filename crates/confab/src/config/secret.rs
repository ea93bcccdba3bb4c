//! [`Secret`] and [`Dsn`]: values that `Debug`, logs and `confab config` never print.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const HIDDEN: &str = "********";

/// A secret string: never printed by `Debug`, logs or `confab config`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no secret was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { HIDDEN })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { HIDDEN })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A connection URL whose password is hidden when printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dsn(String);

impl Dsn {
    /// Wraps a connection URL.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no URL was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The URL with any password replaced by `********`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                // Infallible for URLs that already carry a password.
                let _ = u.set_password(Some(HIDDEN));
                u.to_string()
            }
            Ok(_) => self.0.clone(),
            Err(_) if self.0.contains('@') => HIDDEN.to_string(),
            Err(_) => self.0.clone(),
        }
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for Dsn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Dsn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Dsn)
    }
}
