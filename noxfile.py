"""The nox sessions of dbpools.aiven, configured in antsibull-nox.toml (run by `make nox`)."""

import antsibull_nox
import nox

antsibull_nox.load_antsibull_nox_toml()

if __name__ == "__main__":
    nox.main()
