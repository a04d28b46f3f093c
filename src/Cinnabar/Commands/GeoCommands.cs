using System.Globalization;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>
/// The geo commands (Redis' geo.c). Positions live in an ordinary sorted set whose score is the 52-bit
/// interleaved geohash, so ZRANGE and friends, RDB and DUMP see exactly Redis' values. A search scans the
/// score ranges of at most nine geohash cells around the centre, so its cost follows the members in those
/// cells, not the size of the set.
/// </summary>
public static class GeoCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("geoadd", GeoAdd);
        yield return new("geodist", GeoDist);
        yield return new("geohash", GeoHashCommand);
        yield return new("geopos", GeoPos);
        yield return new("georadius", c => Search(c, 1, Flags.Coords)) { Keys = GeoRadiusKeys };
        yield return new("georadius_ro", c => Search(c, 1, Flags.Coords | Flags.NoStore));
        yield return new("georadiusbymember", c => Search(c, 1, Flags.Member)) { Keys = GeoRadiusKeys };
        yield return new("georadiusbymember_ro", c => Search(c, 1, Flags.Member | Flags.NoStore));
        yield return new("geosearch", c => Search(c, 1, Flags.GeoSearch));
        yield return new("geosearchstore", c => Search(c, 2, Flags.GeoSearch | Flags.GeoSearchStore));
    }

    /// <summary>Redis' georadiusGetKeys: the source, and the key after the last STORE or STOREDIST.</summary>
    private static void GeoRadiusKeys(Client c, List<KeyReference> keys)
    {
        int stored = -1;
        for (int i = 5; i < c.ArgCount; i++)
            if ((c.ArgIs(i, "store"u8) || c.ArgIs(i, "storedist"u8)) && i + 1 < c.ArgCount) stored = ++i;
        keys.Add(new(1, KeySpecFlags.None));
        if (stored >= 0) keys.Add(new(stored, KeySpecFlags.None));
    }

    private const string UnitError = "ERR unsupported unit provided. please use M, KM, FT, MI";

    /// <summary>Redis' extractLongLatOrReply.</summary>
    private static bool TryGetLonLat(Client c, int arg, out double lon, out double lat)
    {
        lat = 0;
        if (!c.TryGetDouble(arg, out lon) || !c.TryGetDouble(arg + 1, out lat)) return false;
        if (lon < GeoHash.LonMin || lon > GeoHash.LonMax || lat < GeoHash.LatMin || lat > GeoHash.LatMax)
        {
            // Redis formats the pair with %f (six decimals).
            c.Reply.Error(string.Create(CultureInfo.InvariantCulture, $"ERR invalid longitude,latitude pair {PrintfF(lon)},{PrintfF(lat)}"));
            return false;
        }
        return true;
    }

    private static string PrintfF(double v) =>
        double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf") : v.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>Redis' extractUnitOrReply: meters per unit, or -1 after the error.</summary>
    private static double Unit(Client c, int arg)
    {
        if (c.ArgIs(arg, "m"u8)) return 1;
        if (c.ArgIs(arg, "km"u8)) return 1000;
        if (c.ArgIs(arg, "ft"u8)) return 0.3048;
        if (c.ArgIs(arg, "mi"u8)) return 1609.34;
        c.Reply.Error(UnitError);
        return -1;
    }

    private static void GeoAdd(Client c)
    {
        bool nx = false, xx = false, ch = false;
        int first = 2;
        for (; first < c.ArgCount; first++)
        {
            if (c.ArgIs(first, "nx"u8)) nx = true;
            else if (c.ArgIs(first, "xx"u8)) xx = true;
            else if (c.ArgIs(first, "ch"u8)) ch = true;
            else break;
        }
        int elements = (c.ArgCount - first) / 3;
        // No triple at all reaches ZADD in Redis, which answers the same syntax error.
        if ((c.ArgCount - first) % 3 != 0 || (nx && xx) || elements == 0) { c.SyntaxError(); return; }

        // Every position is validated before anything changes.
        Span<ulong> scores = elements <= 16 ? stackalloc ulong[16] : new ulong[elements];
        for (int j = 0; j < elements; j++)
        {
            if (!TryGetLonLat(c, first + j * 3, out double lon, out double lat)) return;
            scores[j] = GeoHash.Score(lon, lat);
        }

        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SortedSetValue? z)) return;
        if (z is null)
        {
            if (xx) { c.Reply.Integer(0); return; }
            z = SortedSetValue.Create(elements, c.Arg(first + 2).Length, c.Server.Config);
            c.Db.Add(key, z);
        }
        else z.MaybeConvert(elements, c.Server.Config);

        long added = 0, updated = 0;
        for (int j = 0; j < elements; j++)
        {
            var member = c.Arg(first + j * 3 + 2);
            double score = scores[j];
            var pos = z.Find(member);
            if (pos.Exists)
            {
                if (nx) continue;
                if (z.ScoreAt(pos) != score)
                {
                    z.UpdateScore(pos, score);
                    updated++;
                }
            }
            else if (!xx)
            {
                z.Add(member, score, c.Server.Config);
                added++;
            }
        }
        c.Reply.Integer(ch ? added + updated : added);
        if (added + updated == 0)
        {
            if (z.Count == 0) c.Db.Delete(key); // created for nothing
            return;
        }
        c.KeyModified(key);
        c.Notify(NotifyFlags.ZSet, "zadd", key);
        c.Server.Blocking.SignalKeyReady(c.Db, key);
        c.Dirty(added + updated);
        // Redis rewrites GEOADD into the ZADD it runs, scores as integers, and replicates that.
        var argv = new byte[first + elements * 2][];
        argv[0] = "zadd"u8.ToArray();
        for (int i = 1; i < first; i++) argv[i] = c.ArgArray(i);
        Span<byte> digits = stackalloc byte[24];
        for (int j = 0; j < elements; j++)
        {
            int n = Protocol.RespNumbers.FormatInt64((long)scores[j], digits);
            argv[first + j * 2] = digits[..n].ToArray();
            argv[first + j * 2 + 1] = c.ArgArray(first + j * 3 + 2);
        }
        c.Propagate(argv);
    }

    private static void GeoDist(Client c)
    {
        double toMeters = 1;
        if (c.ArgCount == 5)
        {
            toMeters = Unit(c, 4);
            if (toMeters < 0) return;
        }
        else if (c.ArgCount > 5) { c.SyntaxError(); return; }
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Null(); return; }
        var p1 = z.Find(c.Arg(2));
        var p2 = z.Find(c.Arg(3));
        if (!p1.Exists || !p2.Exists) { c.Reply.Null(); return; }
        var (lon1, lat1) = GeoHash.DecodeScore(z.ScoreAt(p1));
        var (lon2, lat2) = GeoHash.DecodeScore(z.ScoreAt(p2));
        ReplyDistance(c, GeoHash.Distance(lon1, lat1, lon2, lat2) / toMeters);
    }

    /// <summary>Redis 7.0's addReplyDoubleDistance: "%.4f" as a bulk string in both protocols.</summary>
    private static void ReplyDistance(Client c, double d)
    {
        Span<byte> buf = stackalloc byte[350];
        c.Reply.Bulk(buf[..Numerics.FixedPoint.Format(d, 4, buf)]);
    }

    /// <summary>Redis' addReplyHumanLongDouble: "%.17Lf" without trailing zeros; a bulk string in RESP2, a double in RESP3.</summary>
    private static void ReplyCoordinate(Client c, double d)
    {
        Span<byte> buf = stackalloc byte[350];
        int end = Numerics.FixedPoint.Format(d, 17, buf[1..]) + 1;
        while (buf[end - 1] == (byte)'0') end--;
        if (buf[end - 1] == (byte)'.') end--;
        if (c.Reply.Resp3)
        {
            buf[0] = (byte)',';
            buf[end] = (byte)'\r';
            buf[end + 1] = (byte)'\n';
            c.Reply.WriteRaw(buf[..(end + 2)]);
        }
        else c.Reply.Bulk(buf[1..end]);
    }

    private static void GeoPos(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int j = 2; j < c.ArgCount; j++)
        {
            var p = z is null ? default : z.Find(c.Arg(j));
            if (!p.Exists) { c.Reply.NullArray(); continue; }
            var (lon, lat) = GeoHash.DecodeScore(z!.ScoreAt(p));
            c.Reply.ArrayHeader(2);
            ReplyCoordinate(c, lon);
            ReplyCoordinate(c, lat);
        }
    }

    private static void GeoHashCommand(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        Span<byte> buf = stackalloc byte[11];
        for (int j = 2; j < c.ArgCount; j++)
        {
            var p = z is null ? default : z.Find(c.Arg(j));
            if (!p.Exists) { c.Reply.Null(); continue; }
            GeoHash.StandardGeoHash(z!.ScoreAt(p), buf);
            c.Reply.Bulk(buf);
        }
    }

    [Flags]
    private enum Flags { Coords = 1, Member = 2, NoStore = 4, GeoSearch = 8, GeoSearchStore = 16 }

    private enum Sort { None, Asc, Desc }

    private struct GeoPoint
    {
        public double Lon, Lat, Dist, Score;
        public ZPos Pos;
        public int Seq; // discovery order: ties in distance keep it, as glibc's merge-sort qsort does
    }

    private sealed class ByDistance : IComparer<GeoPoint>
    {
        public static readonly ByDistance Asc = new(false), Desc = new(true);
        private readonly bool _desc;
        private ByDistance(bool desc) => _desc = desc;
        public int Compare(GeoPoint a, GeoPoint b)
        {
            int r = a.Dist.CompareTo(b.Dist);
            if (_desc) r = -r;
            return r != 0 ? r : a.Seq.CompareTo(b.Seq);
        }
    }

    [ThreadStatic] private static GeoPoint[]? _points;

    /// <summary>Redis' georadiusGeneric, for GEORADIUS[BYMEMBER][_RO], GEOSEARCH and GEOSEARCHSTORE.</summary>
    private static void Search(Client c, int srcArg, Flags flags)
    {
        if (!c.TryReadKey(c.Arg(srcArg), out SortedSetValue? z)) return;

        int baseArgs;
        int storeArg = -1;
        bool storeDist = false;
        var shape = new GeoShape();
        if ((flags & Flags.Coords) != 0)
        {
            baseArgs = 6;
            shape.IsRadius = true;
            if (!TryGetLonLat(c, 2, out shape.Lon, out shape.Lat)) return;
            if (!TryGetDistance(c, 4, ref shape)) return;
        }
        else if ((flags & Flags.Member) != 0)
        {
            baseArgs = 5;
            // Without a source the arguments are only parsed, to know which empty reply to give.
            if (z is not null)
            {
                shape.IsRadius = true;
                if (!TryMemberPosition(c, z, 2, ref shape)) return;
                if (!TryGetDistance(c, 3, ref shape)) return;
            }
        }
        else
        {
            baseArgs = 2;
            if ((flags & Flags.GeoSearchStore) != 0)
            {
                baseArgs = 3;
                storeArg = 1;
            }
        }

        bool withDist = false, withHash = false, withCoord = false, any = false;
        bool fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        var sort = Sort.None;
        long count = 0;
        bool geoSearch = (flags & Flags.GeoSearch) != 0;
        int remaining = c.ArgCount - baseArgs;
        for (int i = 0; i < remaining; i++)
        {
            int a = baseArgs + i;
            if (c.ArgIs(a, "withdist"u8)) withDist = true;
            else if (c.ArgIs(a, "withhash"u8)) withHash = true;
            else if (c.ArgIs(a, "withcoord"u8)) withCoord = true;
            else if (c.ArgIs(a, "any"u8)) any = true;
            else if (c.ArgIs(a, "asc"u8)) sort = Sort.Asc;
            else if (c.ArgIs(a, "desc"u8)) sort = Sort.Desc;
            else if (c.ArgIs(a, "count"u8) && i + 1 < remaining)
            {
                if (!c.TryGetLong(a + 1, out count)) return;
                if (count <= 0) { c.Reply.Error("ERR COUNT must be > 0"); return; }
                i++;
            }
            else if (c.ArgIs(a, "store"u8) && i + 1 < remaining && (flags & (Flags.NoStore | Flags.GeoSearch)) == 0)
            {
                storeArg = a + 1;
                storeDist = false;
                i++;
            }
            else if (c.ArgIs(a, "storedist"u8) && i + 1 < remaining && (flags & (Flags.NoStore | Flags.GeoSearch)) == 0)
            {
                storeArg = a + 1;
                storeDist = true;
                i++;
            }
            else if (c.ArgIs(a, "storedist"u8) && (flags & Flags.GeoSearchStore) != 0) storeDist = true;
            else if (c.ArgIs(a, "frommember"u8) && i + 1 < remaining && geoSearch && !fromLonLat)
            {
                if (z is not null && !TryMemberPosition(c, z, a + 1, ref shape)) return;
                fromMember = true;
                i++;
            }
            else if (c.ArgIs(a, "fromlonlat"u8) && i + 2 < remaining && geoSearch && !fromMember)
            {
                if (!TryGetLonLat(c, a + 1, out shape.Lon, out shape.Lat)) return;
                fromLonLat = true;
                i += 2;
            }
            else if (c.ArgIs(a, "byradius"u8) && i + 2 < remaining && geoSearch && !byBox)
            {
                if (!TryGetDistance(c, a + 1, ref shape)) return;
                shape.IsRadius = true;
                byRadius = true;
                i += 2;
            }
            else if (c.ArgIs(a, "bybox"u8) && i + 3 < remaining && geoSearch && !byRadius)
            {
                if (!TryGetBox(c, a + 1, ref shape)) return;
                shape.IsRadius = false;
                byBox = true;
                i += 3;
            }
            else { c.SyntaxError(); return; }
        }

        if (storeArg >= 0 && (withDist || withHash || withCoord))
        {
            c.Reply.Error((flags & Flags.GeoSearchStore) != 0
                ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
            return;
        }
        if (geoSearch && !(fromMember || fromLonLat))
        {
            c.Reply.Error($"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {c.ArgString(0)}");
            return;
        }
        if (geoSearch && !(byRadius || byBox))
        {
            c.Reply.Error($"ERR exactly one of BYRADIUS and BYBOX can be specified for {c.ArgString(0)}");
            return;
        }
        if (any && count == 0) { c.Reply.Error("ERR the ANY argument requires COUNT argument"); return; }

        if (z is null)
        {
            if (storeArg >= 0)
            {
                c.DeleteStoreDestination(c.Arg(storeArg));
                c.Reply.Integer(0);
            }
            else c.Reply.ArrayHeader(0);
            return;
        }
        // COUNT without an order means the closest ones, unless ANY asks for the first found.
        if (count != 0 && sort == Sort.None && !any) sort = Sort.Asc;

        Span<GeoHashBits> cells = stackalloc GeoHashBits[9];
        GeoHash.SearchAreas(shape, cells);
        var points = _points ??= new GeoPoint[64];
        int found = 0;
        long limit = any ? count : 0;
        int lastProcessed = 0;
        for (int i = 0; i < 9; i++)
        {
            if (cells[i].IsZero) continue;
            // Near the poles or with huge radii neighbours can coincide: each range is scanned once.
            if (lastProcessed != 0 && cells[i] == cells[lastProcessed]) continue;
            if (found > 0 && limit != 0 && found >= limit) break;
            double min = GeoHash.Align52(cells[i]);
            double max = GeoHash.Align52(cells[i] with { Bits = cells[i].Bits + 1 });
            var range = new ScoreRange(min, max, false, true);
            for (var p = z.FirstInRange(range); p.Exists; p = z.Next(p))
            {
                double score = z.ScoreAt(p);
                if (!range.LteMax(score)) break;
                var (lon, lat) = GeoHash.DecodeScore(score);
                if (GeoHash.WithinShape(shape, lon, lat, out double dist))
                {
                    if (found == points.Length) Array.Resize(ref points, points.Length * 2);
                    points[found] = new GeoPoint { Lon = lon, Lat = lat, Dist = dist, Score = score, Pos = p, Seq = found };
                    found++;
                }
                if (found > 0 && limit != 0 && found >= limit) break;
            }
            lastProcessed = i;
        }
        _points = points;

        if (found == 0 && storeArg < 0) { c.Reply.ArrayHeader(0); return; }
        int returned = count == 0 || found < count ? found : (int)count;
        if (sort != Sort.None) Array.Sort(points, 0, found, sort == Sort.Asc ? ByDistance.Asc : ByDistance.Desc);

        if (storeArg < 0)
        {
            int options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
            c.Reply.ArrayHeader(returned);
            Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
            for (int i = 0; i < returned; i++)
            {
                ref var gp = ref points[i];
                if (options > 0) c.Reply.ArrayHeader(options + 1);
                c.Reply.Bulk(z.MemberAt(gp.Pos, scratch));
                if (withDist) ReplyDistance(c, gp.Dist / shape.Conversion);
                if (withHash) c.Reply.Integer((long)gp.Score);
                if (withCoord)
                {
                    c.Reply.ArrayHeader(2);
                    ReplyCoordinate(c, gp.Lon);
                    ReplyCoordinate(c, gp.Lat);
                }
            }
            Array.Clear(points, 0, found);
            return;
        }

        var dst = c.Arg(storeArg);
        if (returned == 0)
        {
            c.DeleteStoreDestination(dst);
            c.Reply.Integer(0);
            return;
        }
        // A new set built from the source's positions before the destination (possibly the source) is replaced.
        var result = new SortedSetValue(listpack: false);
        Span<byte> tmp = stackalloc byte[ListpackEntry.ScratchSize];
        for (int i = 0; i < returned; i++)
        {
            ref var gp = ref points[i];
            result.Add(z.MemberAt(gp.Pos, tmp), storeDist ? gp.Dist / shape.Conversion : gp.Score, c.Server.Config);
        }
        Array.Clear(points, 0, found);
        result.ConvertToListpackIfSmall(c.Server.Config);
        c.Db.Set(dst, result);
        c.KeyModified(dst);
        c.Notify(NotifyFlags.ZSet, geoSearch ? "geosearchstore" : "georadiusstore", dst);
        c.Dirty(returned);
        c.Reply.Integer(returned);
    }

    private static bool TryMemberPosition(Client c, SortedSetValue z, int arg, ref GeoShape shape)
    {
        var p = z.Find(c.Arg(arg));
        if (!p.Exists) { c.Reply.Error("ERR could not decode requested zset member"); return false; }
        (shape.Lon, shape.Lat) = GeoHash.DecodeScore(z.ScoreAt(p));
        return true;
    }

    /// <summary>Redis' extractDistanceOrReply: a non-negative radius and its unit.</summary>
    private static bool TryGetDistance(Client c, int arg, ref GeoShape shape)
    {
        if (!c.TryGetDouble(arg, out double radius, "ERR need numeric radius")) return false;
        if (radius < 0) { c.Reply.Error("ERR radius cannot be negative"); return false; }
        shape.Radius = radius;
        double unit = Unit(c, arg + 1);
        if (unit < 0) return false;
        shape.Conversion = unit;
        return true;
    }

    /// <summary>Redis' extractBoxOrReply: non-negative width and height and their unit.</summary>
    private static bool TryGetBox(Client c, int arg, ref GeoShape shape)
    {
        if (!c.TryGetDouble(arg, out double w, "ERR need numeric width")) return false;
        if (!c.TryGetDouble(arg + 1, out double h, "ERR need numeric height")) return false;
        if (h < 0 || w < 0) { c.Reply.Error("ERR height or width cannot be negative"); return false; }
        shape.Width = w;
        shape.Height = h;
        double unit = Unit(c, arg + 2);
        if (unit < 0) return false;
        shape.Conversion = unit;
        return true;
    }
}
