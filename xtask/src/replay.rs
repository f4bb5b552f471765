use std::path::Path;
pub fn run(_root: &Path, _dir: &Path) -> Result<(), String> {
    Err("replay: not yet".into())
}
