"""The collection run the way AWX / Automation Controller runs it (tools/run-awx-job.py)."""
