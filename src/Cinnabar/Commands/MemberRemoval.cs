using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>HDEL and SREM, which Redis writes alike (hdelCommand, sremCommand).</summary>
internal static class MemberRemoval
{
    /// <summary>
    /// Removes the members named from argument 2 on and replies how many were there; the key goes as soon as
    /// the collection is empty (later names are not looked at). Then WATCH, the <paramref name="event"/>
    /// notification and "del" when the key went.
    /// </summary>
    public static void Remove<T>(Client c, NotifyFlags type, string @event) where T : class, IRemovableMembers
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out T? members)) return;
        if (members is null)
        {
            c.Reply.Integer(0);
            return;
        }
        int deleted = 0;
        bool keyRemoved = false;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (!members.Remove(c.Arg(i))) continue;
            deleted++;
            if (members.Count == 0)
            {
                c.Db.Delete(key);
                keyRemoved = true;
                break;
            }
        }
        if (deleted > 0)
        {
            c.KeyModified(key);
            c.Notify(type, @event, key);
            if (keyRemoved) c.Notify(NotifyFlags.Generic, "del", key);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }
}
