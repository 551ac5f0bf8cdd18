//! Progress bars for long runs (`check` over many objects, `diff`): drawn on stderr only when
//! stderr is a terminal, so piped or redirected output (CI logs, `> report.json`) carries no
//! bar bytes at all, and cleared when the run ends so the terminal keeps only the results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

/// A bar over `len` steps named `what`, or a hidden one (every call on it does nothing) when
/// stderr is not a terminal. It ticks on its own, so the elapsed time moves during a long step.
pub fn bar(len: usize, what: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    // The template is a constant: it parses, or the default style does.
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg} ({elapsed})")
            .map_or_else(
                |_| ProgressStyle::default_bar(),
                |s| s.progress_chars("=> "),
            );
    pb.set_style(style);
    pb.set_prefix(what);
    pb.enable_steady_tick(std::time::Duration::from_millis(250));
    pb
}
