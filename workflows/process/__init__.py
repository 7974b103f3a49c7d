"""The process façade: every engine step of the domain (start, complete, message, timers, incident retry)
goes through `workflows.process.service`, which runs the after-step hook of the instance's process."""
