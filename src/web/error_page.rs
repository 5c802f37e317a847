//! How an `AppError` is answered: the error page (in the layout, without a session) with the
//! error's status, title, message and reference, and `Retry-After` where waiting helps.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::web::page::Page;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: Page,
    status: u16,
    title: &'a str,
    message: &'a str,
    reference: Option<&'a str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status();
        let (title, message) = self.title_and_message();
        let body = ErrorPage {
            page: Page::bare(),
            status: status.as_u16(),
            title,
            message: &message,
            reference: self.reference(),
        }
        .render()
        .unwrap_or_else(|_| format!("{} {title}: {message}", status.as_u16()));
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
        match self {
            AppError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            AppError::Unwritable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("300")));
            }
            _ => {}
        }
        response.body(body)
    }
}
