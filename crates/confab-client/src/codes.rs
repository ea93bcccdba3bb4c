//! Verification codes: ask for one, sign in or reset a password with one, bind or unbind
//! an email or phone, and fetch a captcha.

use confab_proto::accounts::{MeOut, PasswordChangeIn, TokenOut};
use confab_proto::codes::{
    CaptchaOut, CodeLoginIn, CodeRequestIn, CodeSentOut, EmailBindIn, PasswordResetIn, PhoneBindIn,
};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// `POST /api/v1/auth/codes`. `channel`: `email` or `sms`; `purpose`: `register`,
    /// `login`, `reset_password`, `change_password` or `bind` (the last two signed in).
    pub async fn request_code(
        &self,
        channel: &str,
        target: &str,
        purpose: &str,
    ) -> Result<CodeSentOut> {
        self.request_code_with(&CodeRequestIn {
            channel: channel.into(),
            target: target.into(),
            purpose: purpose.into(),
            captcha_id: None,
            captcha_answer: None,
        })
        .await
    }

    /// `POST /api/v1/auth/codes` with every field, e.g. a captcha answer.
    pub async fn request_code_with(&self, input: &CodeRequestIn) -> Result<CodeSentOut> {
        self.call(Method::POST, "/api/v1/auth/codes", Some(input))
            .await
    }

    /// `GET /api/v1/auth/captcha`.
    pub async fn captcha(&self) -> Result<CaptchaOut> {
        self.call::<(), _>(Method::GET, "/api/v1/auth/captcha", None)
            .await
    }

    /// `POST /api/v1/auth/login/code`.
    pub async fn login_with_code(
        &self,
        channel: &str,
        target: &str,
        code: &str,
    ) -> Result<TokenOut> {
        let body = CodeLoginIn {
            channel: channel.into(),
            target: target.into(),
            code: code.into(),
            device: None,
        };
        self.call(Method::POST, "/api/v1/auth/login/code", Some(&body))
            .await
    }

    /// `POST /api/v1/auth/password/reset`.
    pub async fn reset_password(
        &self,
        channel: &str,
        target: &str,
        code: &str,
        new_password: &str,
    ) -> Result<()> {
        let body = PasswordResetIn {
            channel: channel.into(),
            target: target.into(),
            code: code.into(),
            new_password: new_password.into(),
        };
        self.call(Method::POST, "/api/v1/auth/password/reset", Some(&body))
            .await
    }

    /// `PUT /api/v1/me/password` with a `change_password` code sent by `channel`.
    pub async fn change_password_with_code(
        &self,
        channel: &str,
        code: &str,
        new: &str,
    ) -> Result<()> {
        let body = PasswordChangeIn {
            old_password: None,
            code_channel: Some(channel.into()),
            code: Some(code.into()),
            new_password: new.into(),
        };
        self.call(Method::PUT, "/api/v1/me/password", Some(&body))
            .await
    }

    /// `PUT /api/v1/me/email`.
    pub async fn bind_email(&self, email: &str, code: &str) -> Result<MeOut> {
        let body = EmailBindIn {
            email: email.into(),
            code: code.into(),
        };
        self.call(Method::PUT, "/api/v1/me/email", Some(&body))
            .await
    }

    /// `DELETE /api/v1/me/email`.
    pub async fn unbind_email(&self) -> Result<MeOut> {
        self.call::<(), _>(Method::DELETE, "/api/v1/me/email", None)
            .await
    }

    /// `PUT /api/v1/me/phone`.
    pub async fn bind_phone(&self, phone: &str, code: &str) -> Result<MeOut> {
        let body = PhoneBindIn {
            phone: phone.into(),
            code: code.into(),
        };
        self.call(Method::PUT, "/api/v1/me/phone", Some(&body))
            .await
    }

    /// `DELETE /api/v1/me/phone`.
    pub async fn unbind_phone(&self) -> Result<MeOut> {
        self.call::<(), _>(Method::DELETE, "/api/v1/me/phone", None)
            .await
    }
}
