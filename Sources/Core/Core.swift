// The product's libraries in one import, for the dashboard and the executable. The layers are separate modules
// and depend one way: Basics (settings, SAS, redaction, time, formats, result codes) <- Engine (blob client, job,
// freeze, scripts, status and log writers) <- Monitoring (readers, pollers, verdicts).
@_exported import Basics
@_exported import Engine
@_exported import Monitoring
