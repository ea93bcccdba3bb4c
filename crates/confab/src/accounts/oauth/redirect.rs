//! Where a flow may send the browser back to: client pages on `oauth.redirect_allowlist`.

use url::Url;

use crate::accounts::error::AccountsError;
use crate::error::ApiError;

/// Checks a client page against the allow-list. An entry without a path (`https://app.com`)
/// allows its whole origin; one with a path allows that path and below it, on the same
/// origin. Only absolute http(s) URLs without credentials or a fragment pass; `//host`,
/// `javascript:`, `data:`, backslashes, whitespace and control characters are refused before
/// parsing so no parser disagreement can widen a match.
pub fn allowed_redirect(allowlist: &[String], raw: &str) -> Result<Url, ApiError> {
    if raw.is_empty()
        || raw.len() > 2048
        || raw.contains('\\')
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AccountsError::RedirectRefused.into());
    }
    let url = Url::parse(raw).map_err(|_| AccountsError::RedirectRefused)?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
    {
        return Err(AccountsError::RedirectRefused.into());
    }
    let allowed = allowlist.iter().any(|entry| {
        let Ok(e) = Url::parse(entry) else {
            return false;
        };
        if e.origin() != url.origin() {
            return false;
        }
        let prefix = e.path();
        if prefix == "/" && e.query().is_none() {
            return true;
        }
        let path = url.path();
        path == prefix
            || (path.starts_with(prefix)
                && (prefix.ends_with('/') || path[prefix.len()..].starts_with('/')))
    });
    if allowed {
        Ok(url)
    } else {
        Err(AccountsError::RedirectRefused.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Vec<String> {
        vec![
            "https://app.example.com".into(),
            "http://127.0.0.1:5173/auth/".into(),
            "https://web.example.org/login".into(),
        ]
    }

    #[test]
    fn allow_list_accepts_origins_and_prefixes() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/any/page?x=1",
            "http://127.0.0.1:5173/auth/done",
            "https://web.example.org/login",
            "https://web.example.org/login/cb",
        ] {
            assert!(allowed_redirect(&list(), ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn allow_list_refuses_tricks() {
        for bad in [
            "//evil.com",
            "//app.example.com",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://app.example.com@evil.com",
            "https://user:pw@app.example.com/",
            "https://app.example.com.evil.com/",
            "https://evil.com/https://app.example.com",
            "https:\\\\evil.com",
            "https://app.example.com\\@evil.com",
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "http://127.0.0.1:5173/authx",
            "http://127.0.0.1:5173/auth",
            "https://web.example.org/loginevil",
            "https://web.example.org/other",
            "https://app.example.com/#frag",
            " https://app.example.com/",
            "https://app.example.com/\r\nx",
            "",
            "/relative",
        ] {
            assert!(allowed_redirect(&list(), bad).is_err(), "{bad}");
        }
    }
}
