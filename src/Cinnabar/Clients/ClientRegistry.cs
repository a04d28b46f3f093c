using System.Collections;
using Cinnabar.Networking;

namespace Cinnabar.Clients;

/// <summary>
/// Every connected client by id (CLIENT LIST/KILL, INFO clients, maxclients). A client that goes away is
/// handed to <see cref="CinnabarServer.ReleaseClient"/>, which frees what it held in every component.
/// Enumerate only under the execution lock.
/// </summary>
public sealed class ClientRegistry : IEnumerable<Client>
{
    private readonly CinnabarServer _server;
    private readonly Dictionary<long, Client> _clients = new();

    public ClientRegistry(CinnabarServer server) => _server = server;

    public int Count => _clients.Count;

    public Client? Find(long id) => _clients.GetValueOrDefault(id);

    /// <summary>Admits a new connection unless maxclients is reached (<paramref name="force"/>: our master's link always is).</summary>
    internal bool TryRegister(ClientConnection c, bool force = false)
    {
        lock (_server.ExecLock)
        {
            _server.Stats.TotalConnectionsReceived++;
            if (_clients.Count >= _server.Config.MaxClients && !force)
            {
                _server.Stats.RejectedConnections++;
                return false;
            }
            _clients[c.Id] = c;
            return true;
        }
    }

    /// <summary>Forgets a closed client and releases everything it held (subscriptions, blocking, watches...).</summary>
    internal void Unregister(ClientConnection c)
    {
        lock (_server.ExecLock)
        {
            _clients.Remove(c.Id);
            _server.ReleaseClient(c);
        }
    }

    /// <summary>A copy of the clients, for work done outside the lock (shutdown).</summary>
    internal Client[] Snapshot()
    {
        lock (_server.ExecLock) return _clients.Values.ToArray();
    }

    public IEnumerator<Client> GetEnumerator() => _clients.Values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
