using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Sets;

/// <summary>Helpers for the hash and set tests that need no command outside this area.</summary>
public static class CollectionTestSupport
{
    /// <summary>Stores a string key on both servers (SET on Redis; written directly into Cinnabar's keyspace).</summary>
    public static void PutString(DifferentialFixture f, DiffPair p, string key, string value)
    {
        p.Redis.Call("SET", key, value);
        var server = f.Cinnabar.Server;
        lock (server.ExecLock)
            server.Databases[0].Set(RespClient.Latin1.GetBytes(key), RespClient.Latin1.GetBytes(value));
    }

    /// <summary>Asserts OBJECT ENCODING matches Redis (read in-process on our side) and returns it.</summary>
    public static string SameEncoding(DifferentialFixture f, DiffPair p, string key)
    {
        var expected = p.Redis.Call("OBJECT", "ENCODING", key);
        var server = f.Cinnabar.Server;
        string ours;
        lock (server.ExecLock)
        {
            var db = server.Databases[0];
            int i = db.Find(RespClient.Latin1.GetBytes(key));
            ours = i < 0 ? "missing" : RedisValue.Encoding(db.EntryAt(i), server.Config);
        }
        Assert.Equal(expected, $"${ours.Length}\r\n{ours}\r\n");
        return ours;
    }

    /// <summary>The bulk strings of a flat RESP array/set/map reply, in order (nulls as null).</summary>
    public static List<string?> Flat(string reply)
    {
        var items = new List<string?>();
        int pos = 0;
        ReadLine(reply, ref pos); // header
        while (pos < reply.Length)
        {
            var line = ReadLine(reply, ref pos);
            if (line[0] == '$')
            {
                int len = int.Parse(line[1..]);
                if (len < 0) { items.Add(null); continue; }
                items.Add(reply.Substring(pos, len));
                pos += len + 2;
            }
            else if (line[0] == '_') items.Add(null);
            else if (line[0] is '*' or '~' or '%') continue;
            else items.Add(line);
        }
        return items;
    }

    /// <summary>The elements of a flat reply, sorted (for hashtable encodings whose order cannot match Redis).</summary>
    public static List<string?> Sorted(string reply)
    {
        var l = Flat(reply);
        l.Sort(StringComparer.Ordinal);
        return l;
    }

    /// <summary>Field/value pairs of a flat HGETALL-like reply, sorted by field.</summary>
    public static List<string> SortedPairs(string reply)
    {
        var l = Flat(reply);
        var pairs = new List<string>();
        for (int i = 0; i + 1 < l.Count; i += 2) pairs.Add(l[i] + "=" + l[i + 1]);
        pairs.Sort(StringComparer.Ordinal);
        return pairs;
    }

    private static string ReadLine(string s, ref int pos)
    {
        int end = s.IndexOf("\r\n", pos, StringComparison.Ordinal);
        var line = s[pos..end];
        pos = end + 2;
        return line;
    }

    public static string[] Args(params object[] parts)
    {
        var list = new List<string>();
        foreach (var part in parts)
        {
            if (part is IEnumerable<string> many) list.AddRange(many);
            else list.Add(part.ToString()!);
        }
        return list.ToArray();
    }

    public static string Latin1(byte[] b) => RespClient.Latin1.GetString(b);
    public static string Text(string s) => Latin1(Encoding.UTF8.GetBytes(s));
}
