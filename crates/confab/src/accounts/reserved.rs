//! Reserved usernames (`auth.reserved_usernames`): names a stranger could use to pass for
//! the service or its staff (`admin`, `root`, `support`, `confab`…) are refused at sign-up
//! and never picked for an account made through a provider. Operators still create such
//! accounts on purpose with `confab admin create-admin`.
//!
//! Usernames are `[a-z0-9_.]` only, so no non-ASCII look-alike (Cyrillic `а`) gets that far;
//! what remains are ASCII disguises. A name is compared by its *skeleton*: the word filter's
//! normalisation (lower case, separators such as `_` and `.` dropped), then the ASCII
//! look-alikes folded to one letter (`0`→`o`, `1`/`i`/`l`→`l`, `rn`→`m`, `vv`→`w`, and the
//! common digit-for-letter swaps `3`→`e`, `4`→`a`, `5`→`s`, `7`→`t`). So `Adm1n`, `r00t`,
//! `sys_tem` and `supp.0rt` are all taken by the list; `admin2` and `rootbeer` are not
//! (whole names are compared, not parts). Decision record 0025.

use crate::error::ApiError;
use crate::moderation::filter::normalise;

/// The skeleton two names are compared by (see the module doc).
pub fn skeleton(name: &str) -> String {
    let n = normalise(name).text;
    let folded: String = n
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            c => c,
        })
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Whether `username` is, or disguises, one of `reserved`.
pub fn is_reserved(username: &str, reserved: &[String]) -> bool {
    let s = skeleton(username);
    !s.is_empty() && reserved.iter().any(|r| skeleton(r) == s)
}

/// Refuses a reserved `username` (422 `validation_failed` on `username`).
pub fn check(username: &str, reserved: &[String]) -> Result<(), ApiError> {
    if is_reserved(username, reserved) {
        return Err(ApiError::invalid(
            "username",
            "username: this name is reserved; choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        crate::config::AuthConfig::default().reserved_usernames
    }

    #[test]
    fn reserved_names_and_their_disguises_are_caught() {
        let list = defaults();
        for name in [
            "admin", "ADMIN", "Adm1n", "4dmin", "adm.in", "_admin_", "r00t", "ROOT", "sys_tem",
            "5ystem", "supp0rt", "supp.0rt", "c0nfab", "0fficial", "adrnin", "confab", "staff",
        ] {
            assert!(is_reserved(name, &list), "{name}");
            assert!(check(name, &list).is_err(), "{name}");
        }
        for name in [
            "admin2",
            "rootbeer",
            "alice",
            "bob_01",
            "administrators",
            "sys",
        ] {
            assert!(!is_reserved(name, &list), "{name}");
        }
    }

    #[test]
    fn the_list_is_configurable() {
        let list = vec!["acme".to_owned()];
        assert!(is_reserved("4cme", &list));
        assert!(!is_reserved("admin", &list), "only the configured list");
        assert!(!is_reserved("admin", &[]));
    }
}
