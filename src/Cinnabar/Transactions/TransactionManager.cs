using Cinnabar.Commands;
using Cinnabar.Dispatch;
using Cinnabar.Keyspace;

namespace Cinnabar.Transactions;

/// <summary>
/// MULTI/EXEC/DISCARD and WATCH, as Redis' multi.c: commands queue with copies of their arguments; EXEC runs
/// them back to back under the execution lock (so no other client's command can interleave) through the
/// dispatcher's one call path, with blocking commands answering at once; a write to a watched key, a flush
/// or swap touching it, or its expiry makes EXEC answer the null array. A client's own side is its
/// <see cref="ClientTransaction"/>. All members run under the execution lock.
/// </summary>
public sealed class TransactionManager
{
    private readonly CinnabarServer _server;
    private readonly Dictionary<(int Db, byte[] Key), List<Client>> _watchers = new(new WatchKeyComparer());

    public TransactionManager(CinnabarServer server) => _server = server;

    /// <summary>A closed client's watches and queue are forgotten.</summary>
    public void Forget(Client c)
    {
        UnwatchAll(c);
        c.Transaction = null;
    }

    /// <summary>Queues a command inside MULTI and answers +QUEUED.</summary>
    internal void Queue(Client c, CommandDef cmd)
    {
        // A transaction that will fail anyway keeps nothing (the client may not read replies in a pipeline).
        if ((c.Flags & (ClientFlags.DirtyCas | ClientFlags.DirtyExec)) == 0)
        {
            var (buffer, slices) = c.CopyArgs();
            (c.Transaction ??= new()).Queued.Add((cmd, buffer, slices));
        }
        c.Reply.WriteRaw("+QUEUED\r\n"u8);
    }

    /// <summary>Commands that run immediately even inside MULTI.</summary>
    internal static bool IsTransactionControl(CommandDef cmd) => cmd.Name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    internal void Multi(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) != 0)
        {
            c.Reply.Error("ERR MULTI calls can not be nested");
            return;
        }
        c.Flags |= ClientFlags.Multi;
        c.Reply.Ok();
    }

    internal void Exec(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) == 0)
        {
            c.Reply.Error("ERR EXEC without MULTI");
            return;
        }
        if (IsWatchedKeyExpired(c)) c.Flags |= ClientFlags.DirtyCas;
        if ((c.Flags & (ClientFlags.DirtyCas | ClientFlags.DirtyExec)) != 0)
        {
            if ((c.Flags & ClientFlags.DirtyExec) != 0) c.Reply.Error("EXECABORT Transaction discarded because of previous errors.");
            else c.Reply.NullArray();
            DiscardTransaction(c);
            return;
        }
        bool denied = c.DenyBlocking;
        c.DenyBlocking = true;
        UnwatchAll(c);
        var queue = c.Transaction?.Queued;
        c.Transaction = null;
        c.Reply.ArrayHeader(queue?.Count ?? 0);
        if (queue is not null)
        {
            foreach (var (cmd, buffer, slices) in queue)
            {
                c.SetArgs(buffer, slices, 0, slices.Length);
                // Permissions are checked again: they may have changed since the command was queued.
                if (c.SecurityCheck && !_server.Dispatcher.CheckAcl(c, cmd, "multi", out var denial))
                {
                    c.Reply.Error("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + denial switch
                    {
                        Security.AclDenial.Command => "no permission to execute the command or subcommand",
                        Security.AclDenial.Key => "no permission to touch the specified keys",
                        Security.AclDenial.Channel => "no permission to access one of the channels used as arguments",
                        _ => "no permission",
                    });
                    continue;
                }
                _server.Dispatcher.Call(c, cmd);
            }
        }
        c.DenyBlocking = denied;
        DiscardTransaction(c);
        // Each queued write propagated its own effect; EXEC itself must not go out (the client's
        // arguments now point at the last queued command). Several effects get wrapped in MULTI/EXEC.
        c.PropagateOverride = true;
    }

    internal void Discard(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) == 0)
        {
            c.Reply.Error("ERR DISCARD without MULTI");
            return;
        }
        DiscardTransaction(c);
        c.Reply.Ok();
    }

    /// <summary>Forgets MULTI state and watches (EXEC, DISCARD, RESET).</summary>
    internal void DiscardTransaction(Client c)
    {
        c.Transaction?.Queued.Clear();
        c.Flags &= ~(ClientFlags.Multi | ClientFlags.DirtyCas | ClientFlags.DirtyExec);
        UnwatchAll(c);
    }

    internal void Watch(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) != 0)
        {
            c.Reply.Error("ERR WATCH inside MULTI is not allowed");
            return;
        }
        // No point in watching if the client is already dirty.
        if ((c.Flags & ClientFlags.DirtyCas) == 0)
        {
            for (int i = 1; i < c.ArgCount; i++)
            {
                var copy = c.ArgArray(i);
                var watched = (c.Transaction ??= new()).Watched;
                if (IndexOfWatched(watched, c.DbIndex, copy) >= 0) continue;
                var key = c.Arg(i);
                int index = c.Db.Table.Find(key);
                bool expired = index >= 0 && c.Db.IsExpired(c.Db.EntryAt(index));
                watched.Add((c.DbIndex, copy, expired));
                if (!_watchers.TryGetValue((c.DbIndex, copy), out var clients)) _watchers[(c.DbIndex, copy)] = clients = new();
                clients.Add(c);
            }
        }
        c.Reply.Ok();
    }

    internal void Unwatch(Client c)
    {
        UnwatchAll(c);
        c.Flags &= ~ClientFlags.DirtyCas;
        c.Reply.Ok();
    }

    private void UnwatchAll(Client c)
    {
        var watched = c.Transaction?.Watched;
        if (watched is null || watched.Count == 0) return;
        foreach (var (db, key, _) in watched)
        {
            if (!_watchers.TryGetValue((db, key), out var clients)) continue;
            clients.Remove(c);
            if (clients.Count == 0) _watchers.Remove((db, key));
        }
        watched.Clear();
    }

    /// <summary>Redis' touchWatchedKey: every client watching the key will fail its EXEC. Free when nobody watches.</summary>
    public void TouchWatchedKey(Database db, ReadOnlySpan<byte> key)
    {
        if (_watchers.Count == 0) return;
        if (!_watchers.TryGetValue((db.Id, key.ToArray()), out var clients)) return;
        foreach (var c in clients)
        {
            // A key already expired when watched, and now deleted, has not logically changed.
            var watched = c.Transaction!.Watched;
            int i = IndexOfWatched(watched, db.Id, key);
            if (i >= 0 && watched[i].ExpiredWhenWatched)
            {
                if (db.Table.Find(key) < 0)
                {
                    watched[i] = (db.Id, watched[i].Key, false);
                    continue;
                }
            }
            c.Flags |= ClientFlags.DirtyCas;
        }
    }

    /// <summary>
    /// FLUSHDB/FLUSHALL (<paramref name="replacedWith"/> null) and SWAPDB: watched keys that existed in the
    /// emptied database, or exist in the one swapped in, count as modified (Redis' touchAllWatchedKeysInDb).
    /// Call before the database is emptied or swapped.
    /// </summary>
    public void TouchAllWatchedKeysInDb(Database emptied, Database? replacedWith)
    {
        if (_watchers.Count == 0) return;
        foreach (var ((db, key), clients) in _watchers)
        {
            if (db != emptied.Id) continue;
            bool existsInEmptied = emptied.Table.Find(key) >= 0;
            int inReplacement = replacedWith is null ? -1 : replacedWith.Table.Find(key);
            if (!existsInEmptied && inReplacement < 0) continue;
            bool replacementExpired = inReplacement >= 0 && replacedWith!.IsExpired(replacedWith.EntryAt(inReplacement));
            foreach (var c in clients)
            {
                var watched = c.Transaction!.Watched;
                int w = IndexOfWatched(watched, db, key);
                if (w >= 0 && watched[w].ExpiredWhenWatched)
                {
                    // Already expired when watched: deleted now is no logical change; an expired key
                    // swapped in stays expired.
                    if (inReplacement < 0) { watched[w] = (db, key, false); continue; }
                    if (replacementExpired) continue;
                }
                else if (!existsInEmptied && replacementExpired)
                {
                    // A missing key replaced by an already expired one is still logically missing.
                    if (w >= 0) watched[w] = (db, key, true);
                    continue;
                }
                c.Flags |= ClientFlags.DirtyCas;
            }
        }
    }

    private static int IndexOfWatched(List<(int Db, byte[] Key, bool ExpiredWhenWatched)> watched, int db, ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < watched.Count; i++)
            if (watched[i].Db == db && watched[i].Key.AsSpan().SequenceEqual(key)) return i;
        return -1;
    }

    /// <summary>A watched key that expired since WATCH (even if not yet deleted) fails EXEC.</summary>
    private static bool IsWatchedKeyExpired(Client c)
    {
        var watched = c.Transaction?.Watched;
        if (watched is null) return false;
        foreach (var (dbId, key, expiredWhenWatched) in watched)
        {
            if (expiredWhenWatched) continue;
            var db = c.Server.Databases[dbId];
            int i = db.Table.Find(key);
            if (i >= 0 && db.IsExpired(db.EntryAt(i))) return true;
        }
        return false;
    }

    private sealed class WatchKeyComparer : IEqualityComparer<(int Db, byte[] Key)>
    {
        public bool Equals((int Db, byte[] Key) x, (int Db, byte[] Key) y) => x.Db == y.Db && x.Key.AsSpan().SequenceEqual(y.Key);
        public int GetHashCode((int Db, byte[] Key) obj) => HashCode.Combine(obj.Db, KeyTable.HashOf(obj.Key));
    }
}
