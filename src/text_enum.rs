//! Domain enums stored as text: one declaration gives the stored value, the Indonesian label
//! and the list of all values (for selects), so the mapping exists in exactly one place.

#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $variant:ident => ($value:literal, $label:literal) ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $( $variant ),+ }

        $crate::text_sql!($name);

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The value stored in the database and sent by forms.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $value ),+ }
            }

            /// The Indonesian label shown to people.
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label ),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value.trim() { $( $value => Some($name::$variant), )+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

/// Stores a type as its text, on every backend: `as_str()` written, `parse()` read back (a
/// value the type does not know is an error, not a guess). The type derives `AsExpression`
/// and `FromSqlRow` with `sql_type = Text`; this gives the conversions, generic over the backend
/// the way vaultwarden's newtypes work on its `MultiConnection`.
#[macro_export]
macro_rules! text_sql {
    ($name:ty) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text: String =
                    diesel::deserialize::FromSql::<diesel::sql_types::Text, DB>::from_sql(bytes)?;
                <$name>::parse(&text).ok_or_else(|| {
                    format!("{}: unknown stored value {text:?}", stringify!($name)).into()
                })
            }
        }
    };
}

/// One `<option>` of a select: value, label, and whether it is the current one.
pub struct SelectOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// Options for a text enum, with `current` (the raw form value) selected.
pub fn options<T: Copy>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    current: &str,
) -> Vec<SelectOption> {
    all.iter()
        .map(|&v| SelectOption {
            value: as_str(v),
            label: label(v),
            selected: as_str(v) == current.trim(),
        })
        .collect()
}
