//! Which methods a path takes, read from the route table, so that a path
//! that exists answers a method it lacks with 405 and `Allow` (as HTTP and
//! API clients expect) rather than the 404 of a path that does not.

use actix_web::dev::ResourceDef;

use crate::auth::access::RouteInfo;

pub struct Methods(Vec<(ResourceDef, Vec<String>)>);

impl Methods {
    pub fn from_table(table: &[RouteInfo]) -> Self {
        let mut by_path: Vec<(&str, Vec<String>)> = Vec::new();
        for route in table {
            let method = route.method.to_string();
            match by_path.iter_mut().find(|(p, _)| *p == route.path) {
                Some((_, methods)) if !methods.contains(&method) => methods.push(method),
                Some(_) => {}
                None => by_path.push((route.path, vec![method])),
            }
        }
        Self(
            by_path
                .into_iter()
                .map(|(path, mut methods)| {
                    methods.sort();
                    (ResourceDef::new(path), methods)
                })
                .collect(),
        )
    }

    /// The `Allow` value for a path the table has, such as `GET, POST`.
    pub fn allowed(&self, path: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_ids_matches_its_pattern_and_lists_its_methods_in_order() {
        let m = Methods::from_table(&crate::app::route_table());
        assert_eq!(m.allowed("/api/v1/incidents").as_deref(), Some("GET, POST"));
        assert_eq!(m.allowed("/api/v1/incidents/abc").as_deref(), Some("GET"));
        assert_eq!(m.allowed("/api/v1/nothing"), None);
    }
}
