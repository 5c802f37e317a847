//! A desa/kelurahan's village officials (`/pemda/desa/{kode}`): the number its office entered,
//! its PPU PN members and officials, the office entering the number and confirming officials.

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::OfficialSource;
use super::officials::{self, OfficialMember};
use super::routes::region_in_scope;
use crate::auth::CurrentUser;
use crate::db::{Db, write_transaction};
use crate::error::AppError;
use crate::regions::{Level, Region};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::{ENTER_VILLAGE_OFFICIALS, READ_PEMDA};
use crate::web::routes::Routes;
use crate::web::{render, see_other, session};

pub fn register(routes: &mut Routes) {
    routes
        .get("/pemda/desa/{code}", READ_PEMDA, village)
        .post("/pemda/desa/{code}", ENTER_VILLAGE_OFFICIALS, set_officials)
        .post(
            "/pemda/desa/{code}/anggota",
            ENTER_VILLAGE_OFFICIALS,
            confirm_official,
        );
}

#[derive(Template)]
#[template(path = "pemda/village.html")]
struct VillagePage {
    page: Page,
    region: Region,
    count: Option<(i32, OfficialSource)>,
    members: Vec<OfficialMember>,
    can_enter: bool,
    jumlah: String,
    errors: FieldErrors,
}

impl VillagePage {
    fn active(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.source.is_some() && m.is_active_ppu_pn())
            .count()
    }
}

async fn show_village(
    req: &HttpRequest,
    db: &Db,
    user: &CurrentUser,
    code: &str,
    status: StatusCode,
    jumlah: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (worker, path) = (user.clone(), code.to_string());
    let (region, count, members) = db
        .run(move |conn| {
            let region = region_in_scope(conn, &worker, &path, &[Level::DesaKelurahan])?;
            let count = officials::count_of(conn, &path)?;
            let members = officials::village_members(conn, &path, 100)?;
            Ok((region, count, members))
        })
        .await?;
    render(
        status,
        &VillagePage {
            page: Page::from_request(req),
            jumlah: jumlah.unwrap_or_else(|| count.map(|(n, _)| n.to_string()).unwrap_or_default()),
            region,
            count,
            members,
            can_enter: ENTER_VILLAGE_OFFICIALS.admits(user.role),
            errors,
        },
    )
}

async fn village(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    show_village(
        &req,
        &db,
        &user,
        &code,
        StatusCode::OK,
        None,
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OfficialsForm {
    pub jumlah: String,
}

/// The number of officials from a count typed by the office: 1 to `MAX_OFFICIALS`.
pub fn parse_officials(raw: &str) -> Result<i32, &'static str> {
    match raw.trim().parse::<i32>() {
        Ok(n) if (1..=officials::MAX_OFFICIALS).contains(&n) => Ok(n),
        _ => Err("Isi jumlah kepala desa dan perangkat sebagai bilangan bulat 1 sampai 200."),
    }
}

async fn set_officials(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    form: web::Form<OfficialsForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let count = match parse_officials(&form.jumlah) {
        Ok(n) => n,
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("jumlah", message);
            return show_village(
                &req,
                &db,
                &user,
                &code,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(form.jumlah.chars().take(20).collect()),
                errors,
            )
            .await;
        }
    };
    let (worker, path) = (user.clone(), code.clone());
    db.run(move |conn| {
        region_in_scope(conn, &worker, &path, &[Level::DesaKelurahan])?;
        write_transaction(conn, |conn| -> Result<(), AppError> {
            Ok(officials::set_count(
                conn,
                Some(worker.id),
                &path,
                count,
                OfficialSource::Office,
            )?)
        })
    })
    .await?;
    session::set_flash(
        &req.get_session(),
        &format!("Jumlah perangkat desa {count} orang disimpan."),
    );
    Ok(see_other(&format!("/pemda/desa/{code}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    pub member_id: String,
    pub aksi: String,
}

/// The office confirms (or takes back) that a member of the desa is one of its officials.
async fn confirm_official(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    form: web::Form<ConfirmForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let official = match form.aksi.as_str() {
        "tandai" => Some(true),
        "hapus" => Some(false),
        _ => None,
    };
    let (Some(member_id), Some(official)) = (form.member_id.trim().parse::<i32>().ok(), official)
    else {
        let mut errors = FieldErrors::default();
        errors.add_general(
            "anggota",
            "Pilih anggota dan tindakannya (tandai atau hapus).",
        );
        return show_village(
            &req,
            &db,
            &user,
            &code,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
        )
        .await;
    };
    let (worker, path) = (user.clone(), code.clone());
    let done = db
        .run(move |conn| {
            region_in_scope(conn, &worker, &path, &[Level::DesaKelurahan])?;
            write_transaction(conn, |conn| -> Result<bool, AppError> {
                Ok(officials::confirm_member(
                    conn, worker.id, &path, member_id, official,
                )?)
            })
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    session::set_flash(
        &req.get_session(),
        if official {
            "Anggota dikonfirmasi sebagai perangkat desa."
        } else {
            "Tanda perangkat desa dihapus."
        },
    );
    Ok(see_other(&format!("/pemda/desa/{code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officials_are_a_whole_number_in_range() {
        assert_eq!(parse_officials(" 12 "), Ok(12));
        assert!(parse_officials("0").is_err());
        assert!(parse_officials("201").is_err());
        assert!(parse_officials("12,5").is_err());
        assert!(parse_officials("").is_err());
    }
}
