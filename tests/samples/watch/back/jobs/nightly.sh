echo nightly
