using System.Net;
using System.Net.Sockets;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A TCP relay on a loopback port (port 0) in front of one server: what a client sees of a replica's machine. Kill
/// stops listening and resets every connection at once (SO_LINGER 0), as a kill -9 or a lost machine does to the
/// client, while the in-process server behind it sees its connections close and aborts their calls.
/// </summary>
internal sealed class KillableRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private bool _killed;

    private KillableRelay(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        Address = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = AcceptAsync();
    }

    /// <summary>"http://127.0.0.1:PORT" of the relay.</summary>
    public string Address { get; }

    /// <summary>A relay to a server's "http://127.0.0.1:PORT".</summary>
    public static KillableRelay To(string serverAddress)
    {
        var uri = new Uri(serverAddress);
        return new KillableRelay(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
    }

    /// <summary>Refuses new connections and resets every open one, both towards the client and towards the server.</summary>
    public void Kill()
    {
        lock (_sockets)
        {
            if (_killed)
            {
                return;
            }

            _killed = true;
            _stop.Cancel();
            _listener.Stop();
            foreach (Socket socket in _sockets)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed by its peer.
                }
            }
        }
    }

    public void Dispose()
    {
        Kill();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            lock (_sockets)
            {
                if (_killed)
                {
                    client.Close(0);
                    server.Dispose();
                    return;
                }

                _sockets.Add(client);
                _sockets.Add(server);
            }

            _ = RelayAsync(client, server);
        }
    }

    private async Task RelayAsync(Socket client, Socket server)
    {
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            client.Close(0);
            server.Close(0);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Killed, or one side reset: the other pump ends the same way.
        }
    }
}
