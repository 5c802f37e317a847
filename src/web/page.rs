//! What every page's layout needs: the signed-in user's badge, the CSRF token for forms,
//! a flash message, and the asset URLs.

use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::auth::CurrentUser;
use crate::web::{assets, policy, session};

pub struct UserBadge {
    /// Whose work the phone's offline queue holds (`static/offline.js`).
    pub id: i32,
    pub full_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub verifies: bool,
    pub reads_board: bool,
    pub reads_recap: bool,
}

/// A menu entry: (path, label).
pub type Link = (&'static str, &'static str);

impl UserBadge {
    /// Every destination of the role, in menu order.
    fn destinations(&self) -> Vec<Link> {
        let mut all = vec![
            ("/", "Beranda"),
            ("/progres", "Progres"),
            ("/rumah-tangga", "Rumah tangga"),
        ];
        if self.verifies {
            all.push(("/verifikasi", "Verifikasi"));
        }
        if self.reads_board {
            all.push(("/penugasan", "Penugasan"));
        }
        if self.reads_board {
            all.push(("/pemda", "Tuas Pemda"));
        }
        if self.verifies {
            all.push(("/data/impor", "Impor"));
        }
        if self.reads_recap {
            all.push(("/rekap", "Rekap"));
        }
        all.push(("/wilayah", "Wilayah"));
        if self.is_admin {
            all.push(("/admin/pengguna", "Pengguna"));
        }
        all
    }

    /// The role's main destinations, always in the bar (one row at 360 px); the rest go in
    /// the menu (`more_links`).
    pub fn main_links(&self) -> Vec<Link> {
        let main: &[&str] = if self.is_admin {
            &["/", "/admin/pengguna", "/progres"]
        } else if self.verifies {
            &["/", "/verifikasi", "/penugasan", "/progres"]
        } else if self.reads_board {
            &["/", "/progres", "/penugasan"]
        } else {
            &["/", "/rumah-tangga", "/progres"]
        };
        main.iter()
            .filter_map(|path| self.destinations().into_iter().find(|(p, _)| p == path))
            .collect()
    }

    pub fn more_links(&self) -> Vec<Link> {
        let main = self.main_links();
        let mut more: Vec<Link> = self
            .destinations()
            .into_iter()
            .filter(|link| !main.contains(link))
            .collect();
        more.push(("/akun/password", "Akun"));
        more
    }
}

pub struct Page {
    pub user: Option<UserBadge>,
    pub csrf: String,
    pub flash: Option<String>,
    pub css_url: String,
    pub icon_url: String,
    pub visit_js_url: String,
    pub desk_js_url: String,
    pub offline_js_url: String,
}

impl Page {
    /// A page with no session behind it (error pages).
    pub fn bare() -> Self {
        Self {
            user: None,
            csrf: String::new(),
            flash: None,
            css_url: assets::url("pesiar.css"),
            icon_url: assets::url("icon.svg"),
            visit_js_url: assets::url("visit.js"),
            desk_js_url: assets::url("desk.js"),
            offline_js_url: assets::url("offline.js"),
        }
    }

    pub fn from_request(req: &HttpRequest) -> Self {
        let session = req.get_session();
        let user = req.extensions().get::<CurrentUser>().map(|user| UserBadge {
            id: user.id,
            full_name: user.full_name.clone(),
            role_label: user.role.label(),
            is_admin: policy::ADMINISTER.admits(user.role),
            verifies: policy::VERIFY_CLAIMS.admits(user.role),
            reads_board: policy::READ_BOARD.admits(user.role),
            reads_recap: policy::READ_RECAP.admits(user.role),
        });
        Self {
            user,
            csrf: session::csrf_token(&session),
            flash: session::take_flash(&session),
            ..Self::bare()
        }
    }
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Page::from_request(req)))
    }
}
