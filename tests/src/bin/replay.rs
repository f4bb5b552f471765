//! Round-trips sample files through the generated types. Driven by `cargo xtask replay`,
//! which owns the mapping (`spec/upstream-samples.yaml`): each stdin line is
//! `path<TAB>operation<TAB>request|response<TAB>2.N`; each stdout line is `ok<TAB>path` or
//! `fail<TAB>path<TAB>reason`.

use std::io::{BufRead, Write};

use openstack_compute::Microversion;

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let fields: Vec<&str> = line.split('\t').collect();
        let [path, operation, direction, version] = fields[..] else {
            let _ = writeln!(stdout, "fail\t{line}\tmalformed manifest line");
            continue;
        };
        let result = (|| {
            let version: Microversion = version.parse().map_err(|e| format!("{e}"))?;
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            tests::roundtrip_sample(operation, direction == "request", version, &bytes)
        })();
        let _ = match result {
            Ok(()) => writeln!(stdout, "ok\t{path}"),
            Err(reason) => writeln!(stdout, "fail\t{path}\t{}", reason.replace(['\n', '\t'], " ")),
        };
    }
}
