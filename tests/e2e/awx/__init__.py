"""The collection run the way AWX / Automation Controller runs it: credential type, execution environment, ansible-runner jobs (make awx)."""
