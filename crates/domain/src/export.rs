//! Spreadsheet exports (CSV now, XLSX later) share one rule: a cell whose
//! text a spreadsheet program would run as a formula — starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return — is written with a leading
//! apostrophe, so it shows as the text it is. Every export writes its cells
//! through [`neutralise`] ([`csv_row`] does).

/// The cell text a spreadsheet shows as text, never as a formula.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// One CSV line (RFC 4180 quoting, `\n` ended) of neutralised cells.
pub fn csv_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            let c = neutralise(c.as_ref());
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for bad in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=1+cmd|\" /C calc\"!A0",
        ] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("出生医学证明"), "出生医学证明");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn csv_rows_quote_and_neutralise() {
        assert_eq!(
            csv_row(&["=1+cmd|\" /C calc\"!A0", "a,b", "plain"]),
            "\"'=1+cmd|\"\" /C calc\"\"!A0\",\"a,b\",plain\n"
        );
    }
}
