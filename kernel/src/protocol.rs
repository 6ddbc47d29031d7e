//! The lines that lowdim and the cell process print for the kernel on the cell
//! process's stdout. evcxr passes every line it does not know on to the kernel,
//! which takes these out of the cell's output and acts on them.
//!
//! lowdim prints the display line (`lowdim::display`); the cell process prints
//! the failure line. Keep the prefixes in step with `lib/src/display.rs`.

use serde_json::{Map, Value};

/// `LOWDIM_DISPLAY {"id": "...", "update": bool, "data": {mime: content}}`:
/// show or update a display in place.
pub const DISPLAY: &str = "LOWDIM_DISPLAY ";
/// `LOWDIM_CELL_FAILED {"kind": "panic" | "error", "message": "..."}`: the
/// cell panicked, or its `?` returned an error.
pub const CELL_FAILED: &str = "LOWDIM_CELL_FAILED ";

/// What evcxr prints when a cell panicked, and when its `?` returned an error.
pub const EVCXR_PANIC: &str = "EVCXR_PANIC_NOTIFICATION";
pub const EVCXR_USER_ERROR: &str = "EVCXR_ERROR_OCCURRED";
pub const EVCXR_COMPLETE: &str = "EVCXR_EXECUTION_COMPLETE";

#[derive(Debug, Clone, PartialEq)]
pub struct Display {
    pub id: String,
    pub update: bool,
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub panicked: bool,
    pub message: String,
}

/// A line of the cell's stdout, read.
#[derive(Debug, PartialEq)]
pub enum Line {
    Display(Display),
    Failed(Failure),
    Text(String),
}

pub fn parse(line: String) -> Line {
    if let Some(json) = line.strip_prefix(DISPLAY) {
        if let Ok(v) = serde_json::from_str::<Value>(json) {
            if let (Some(id), Some(data)) = (v["id"].as_str(), v["data"].as_object()) {
                return Line::Display(Display { id: id.to_string(), update: v["update"].as_bool().unwrap_or(false), data: data.clone() });
            }
        }
    } else if let Some(json) = line.strip_prefix(CELL_FAILED) {
        if let Ok(v) = serde_json::from_str::<Value>(json) {
            return Line::Failed(Failure {
                panicked: v["kind"] == "panic",
                message: v["message"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    Line::Text(line)
}

pub fn failure_line(panicked: bool, message: &str) -> String {
    let kind = if panicked { "panic" } else { "error" };
    format!("{CELL_FAILED}{}", serde_json::json!({ "kind": kind, "message": message }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_displays_failures_and_text() {
        let d = parse(r#"LOWDIM_DISPLAY {"id":"p1","update":true,"data":{"text/plain":"3/10"}}"#.into());
        let Line::Display(d) = d else { panic!("{d:?}") };
        assert_eq!((d.id.as_str(), d.update, d.data["text/plain"].as_str()), ("p1", true, Some("3/10")));
        let f = parse(failure_line(true, "boom\nline 2"));
        assert_eq!(f, Line::Failed(Failure { panicked: true, message: "boom\nline 2".into() }));
        assert_eq!(parse("hello".into()), Line::Text("hello".into()));
        assert_eq!(parse("LOWDIM_DISPLAY not json".into()), Line::Text("LOWDIM_DISPLAY not json".into()));
    }
}
