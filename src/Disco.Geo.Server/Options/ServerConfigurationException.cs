namespace Disco.Geo.Server.Options;

/// <summary>
/// The configuration cannot work; the message says what to change. The server refuses to start. It lives with the
/// options because every layer that checks configuration (binding, certificates, the data directory) throws it.
/// </summary>
internal sealed class ServerConfigurationException(string message) : Exception(message);
