//! User forms and the rules they follow, shared by the admin pages and the command line.

use serde::Deserialize;

use super::Role;
use crate::regions::RegionCode;
use crate::web::forms::FieldErrors;

pub const PASSWORD_MIN_CHARS: usize = 10;
const PASSWORD_MAX_CHARS: usize = 128;

/// Password rules: long enough, not absurdly long, and not the username.
pub fn check_password(username: &str, password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("Kata sandi minimal 10 karakter.");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("Kata sandi maksimal 128 karakter.");
    }
    if !username.is_empty() && password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err("Kata sandi tidak boleh sama dengan nama pengguna.");
    }
    Ok(())
}

/// Usernames: 3–32 characters of lowercase letters, digits, dot, dash and underscore.
pub fn normalize_username(raw: &str) -> Result<String, &'static str> {
    let username = raw.trim().to_lowercase();
    if username.is_empty() {
        return Err("Nama pengguna wajib diisi.");
    }
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Err("Nama pengguna 3–32 karakter.");
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "Nama pengguna hanya boleh huruf kecil, angka, titik, garis bawah dan tanda hubung.",
        );
    }
    Ok(username)
}

/// Indonesian phone numbers as typed on a phone: digits with optional +, spaces and dashes.
pub fn normalize_phone(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
        || trimmed[1..].contains('+')
    {
        return Err("Nomor HP hanya boleh angka (boleh diawali +).");
    }
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    if !(8..=15).contains(&digits) {
        return Err("Nomor HP 8–15 angka.");
    }
    Ok(trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect())
}

pub fn normalize_full_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Nama lengkap wajib diisi.");
    }
    if name.chars().count() > 100 {
        return Err("Nama lengkap maksimal 100 karakter.");
    }
    if name.chars().any(char::is_control) {
        return Err("Nama lengkap berisi karakter tidak valid.");
    }
    Ok(name)
}

/// Region codes typed one per line (or separated by commas/spaces); syntax only. Whether each
/// exists and suits the role is checked against the database.
pub fn parse_area_codes(raw: &str) -> Result<Vec<RegionCode>, String> {
    let mut codes: Vec<RegionCode> = Vec::new();
    let mut bad = Vec::new();
    for token in raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if token.is_empty() {
            continue;
        }
        match RegionCode::parse(token) {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => bad.push(token.chars().take(20).collect::<String>()),
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "Kode wilayah tidak valid: {}. Contoh kode: 32.73 (kota), 32.73.01 (kecamatan), 32.73.01.1001 (kelurahan).",
            bad.join(", ")
        ));
    }
    if codes.len() > 200 {
        return Err("Terlalu banyak wilayah (maksimal 200).".into());
    }
    Ok(codes)
}

/// The admin's "new user" form as typed (kept verbatim to re-render on errors).
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct NewUserForm {
    pub username: String,
    pub full_name: String,
    pub phone: String,
    pub role: String,
    pub areas: String,
    pub password: String,
}

/// The admin's "edit user" form.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct EditUserForm {
    pub full_name: String,
    pub phone: String,
    pub role: String,
    pub areas: String,
}

/// A validated user, ready to store (areas still to be checked against the region table).
#[derive(Debug)]
pub struct UserInput {
    pub username: String,
    pub full_name: String,
    pub phone: String,
    pub role: Role,
    pub areas: Vec<RegionCode>,
}

pub fn parse_role(raw: &str) -> Result<Role, &'static str> {
    Role::parse(raw.trim()).ok_or("Pilih peran.")
}

impl NewUserForm {
    pub fn validate(&self) -> Result<(UserInput, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = normalize_username(&self.username).map_err(|e| errors.add("username", e));
        let edit = EditUserForm {
            full_name: self.full_name.clone(),
            phone: self.phone.clone(),
            role: self.role.clone(),
            areas: self.areas.clone(),
        };
        let details = edit.validate_into(&mut errors);
        let password_check = check_password(
            username.as_deref().unwrap_or(&self.username),
            &self.password,
        );
        if let Err(e) = password_check {
            errors.add("password", e);
        }
        match (username, details) {
            (Ok(username), Some((full_name, phone, role, areas))) if errors.is_empty() => Ok((
                UserInput {
                    username,
                    full_name,
                    phone,
                    role,
                    areas,
                },
                self.password.clone(),
            )),
            _ => Err(errors),
        }
    }
}

impl EditUserForm {
    pub fn validate(&self) -> Result<(String, String, Role, Vec<RegionCode>), FieldErrors> {
        let mut errors = FieldErrors::default();
        match self.validate_into(&mut errors) {
            Some(values) if errors.is_empty() => Ok(values),
            _ => Err(errors),
        }
    }

    fn validate_into(
        &self,
        errors: &mut FieldErrors,
    ) -> Option<(String, String, Role, Vec<RegionCode>)> {
        let full_name =
            normalize_full_name(&self.full_name).map_err(|e| errors.add("full_name", e));
        let phone = normalize_phone(&self.phone).map_err(|e| errors.add("phone", e));
        let role = parse_role(&self.role).map_err(|e| errors.add("role", e));
        let areas = parse_area_codes(&self.areas).map_err(|e| errors.add("areas", e));
        if let (Ok(role), Ok(areas)) = (&role, &areas)
            && *role != Role::Admin
            && areas.is_empty()
        {
            errors.add("areas", "Isi minimal satu kode wilayah untuk peran ini.");
        }
        // As the hint says: an admin sees every area, so codes would be silently dropped.
        if let (Ok(Role::Admin), Ok(areas)) = (&role, &areas)
            && !areas.is_empty()
        {
            errors.add(
                "areas",
                "Admin melihat seluruh wilayah: kosongkan kode wilayah.",
            );
        }
        Some((full_name.ok()?, phone.ok()?, role.ok()?, areas.ok()?))
    }
}

/// The "change my password" form.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert!(check_password("budi", "short").is_err());
        assert!(check_password("budi.santoso", "budi.santoso").is_err());
        assert!(check_password("budi.santoso", "BUDI.SANTOSO").is_err());
        assert!(check_password("budi", "kuda-lumping-9").is_ok());
        assert!(check_password("budi", &"x".repeat(129)).is_err());
        // Ten characters counted as characters, not bytes.
        assert!(check_password("budi", "ééééééééé").is_err());
        assert!(check_password("budi", "éééééééééé").is_ok());
    }

    #[test]
    fn usernames_are_normalized_and_restricted() {
        assert_eq!(normalize_username("  Agen.01 ").unwrap(), "agen.01");
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username("agen 01").is_err());
        assert!(normalize_username("<script>").is_err());
        assert!(normalize_username("").is_err());
    }

    #[test]
    fn phones_keep_digits_and_leading_plus() {
        assert_eq!(normalize_phone("0812-3456 7890").unwrap(), "081234567890");
        assert_eq!(
            normalize_phone("+62 812 3456 789").unwrap(),
            "+628123456789"
        );
        assert_eq!(normalize_phone("").unwrap(), "");
        assert!(normalize_phone("08x").is_err());
        assert!(normalize_phone("0812+345678").is_err());
        assert!(normalize_phone("1234").is_err());
    }

    #[test]
    fn area_codes_are_parsed_and_deduplicated() {
        let codes = parse_area_codes("32.73.01.1001\n32.73.01.1001, 32.73.02.1003").unwrap();
        assert_eq!(codes.len(), 2);
        let err = parse_area_codes("32.73.01.1001 bandung").unwrap_err();
        assert!(err.contains("bandung"));
        assert!(parse_area_codes("").unwrap().is_empty());
    }

    #[test]
    fn new_user_form_reports_every_bad_field() {
        let form = NewUserForm {
            username: "x".into(),
            full_name: " ".into(),
            phone: "abc".into(),
            role: "root".into(),
            areas: "".into(),
            password: "123".into(),
        };
        let errors = form.validate().unwrap_err();
        for field in ["username", "full_name", "phone", "role", "password"] {
            assert!(errors.has(field), "missing error for {field}");
        }
    }

    #[test]
    fn agents_need_an_area() {
        let form = NewUserForm {
            username: "agen01".into(),
            full_name: "Agen Satu".into(),
            phone: "".into(),
            role: "agent".into(),
            areas: "".into(),
            password: "kuda-lumping-9".into(),
        };
        assert!(form.validate().unwrap_err().has("areas"));
        let ok = NewUserForm {
            areas: "32.73.01.1001".into(),
            ..form
        };
        let (input, _) = ok.validate().unwrap();
        assert_eq!(input.role, Role::Agent);
        assert_eq!(input.areas.len(), 1);
        let admin = NewUserForm {
            role: "admin".into(),
            ..ok
        };
        assert_eq!(
            admin.validate().unwrap_err().get("areas"),
            Some("Admin melihat seluruh wilayah: kosongkan kode wilayah.")
        );
    }
}
