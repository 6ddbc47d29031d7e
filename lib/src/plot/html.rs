//! Offline HTML for figures.
//!
//! plotly.js is ~4.6 MB; inlining it into every figure bloats notebooks and their
//! exports. A session's first HTML fragment carries the script once; later
//! fragments wait for `window.Plotly`. An exported page therefore loads the
//! library once, from the first figure, with no network.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::{Error, Result};

/// Environment variable naming the `plotly.min.js` file to inline
/// (the kernel sets it to the copy shipped with the pip package `plotly`).
pub const PLOTLY_JS_ENV: &str = "LOWDIM_PLOTLY_JS";

static BUNDLE_SENT: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn plotly_js() -> Result<String> {
    let path = std::env::var(PLOTLY_JS_ENV).map_err(|_| {
        Error::data(format!(
            "{PLOTLY_JS_ENV} is not set; point it at plotly.min.js \
             (the rust-lowdim kernel sets it; run `lowdim-kernel doctor`)"
        ))
    })?;
    std::fs::read_to_string(&path).map_err(|e| Error::io(path, e))
}

/// A `<script>` body must not contain `</script>`; escaping `</` keeps JSON intact.
fn script_safe(s: &str) -> String {
    s.replace("</", "<\\/")
}

fn unique_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("lowdim-fig-{}-{nanos:x}-{n}", std::process::id())
}

fn div_and_draw(spec: &Value, height: u64) -> String {
    let id = unique_id();
    let spec = script_safe(&spec.to_string());
    format!(
        "<div id=\"{id}\" class=\"lowdim-figure\" style=\"width:100%;height:{height}px;\"></div>\n\
         <script>(function(){{var spec={spec};\
         function draw(){{if(window.Plotly){{window.Plotly.newPlot(\"{id}\",spec.data,spec.layout,\
         {{responsive:true}});}}else{{setTimeout(draw,50);}}}}draw();}})();</script>"
    )
}

/// The fragment for one figure; carries plotly.js the first time only.
pub(crate) fn fragment(spec: &Value, height: u64) -> String {
    let mut out = String::new();
    if !BUNDLE_SENT.swap(true, Ordering::SeqCst) {
        match plotly_js() {
            Ok(js) => out.push_str(&format!("<script>{}</script>\n", script_safe(&js))),
            Err(e) => {
                BUNDLE_SENT.store(false, Ordering::SeqCst);
                out.push_str(&format!("<p><b>Figure not drawn:</b> {e}</p>\n"));
            }
        }
    }
    out.push_str(&div_and_draw(spec, height));
    out
}

/// A standalone page with plotly.js inlined.
pub(crate) fn page(spec: &Value, height: u64) -> Result<String> {
    let js = script_safe(&plotly_js()?);
    Ok(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><script>{js}</script></head>\n\
         <body>{}</body></html>\n",
        div_and_draw(spec, height)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_close_tags_are_escaped() {
        let spec = serde_json::json!({"data": [{"name": "</script><b>"}], "layout": {}});
        let html = div_and_draw(&spec, 300);
        assert!(!html.contains("</script><b>"));
        assert!(html.contains("<\\/script><b>"));
    }

    #[test]
    fn ids_are_unique() {
        assert_ne!(unique_id(), unique_id());
    }
}
