//! The case core: observers and the one writer (filled below).
