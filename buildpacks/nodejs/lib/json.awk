# Flatten JSON into lines "key1<TAB>key2<TAB>…<TAB>value", one line per scalar (array items are
# keyed 0, 1, …; strings are unquoted, \" \\ \/ unescaped), so that bash can read package.json and
# registry metadata without jq. Input: the tokens of the document, one a line (see json_flatten in
# common.sh, which splits them with grep -o).

function unquote(s) {
  s = substr(s, 2, length(s) - 2)
  gsub(/\\\\/, "\001", s)
  gsub(/\\"/, "\"", s)
  gsub(/\\\//, "/", s)
  gsub(/\001/, "\\", s)
  return s
}

function path(    i, p) {
  p = ""
  for (i = 1; i <= depth; i++) p = p keyat[i] "\t"
  return p
}

# After a value at the current depth: arrays move on to their next index.
function done() { if (depth > 0 && kind[depth] == "a") keyat[depth]++ }

BEGIN { depth = 0; expectkey = 0 }

$0 == "{" { depth++; kind[depth] = "o"; expectkey = 1; next }
$0 == "[" { depth++; kind[depth] = "a"; keyat[depth] = 0; next }
$0 == "}" || $0 == "]" { depth--; done(); expectkey = 0; next }
$0 == ":" { next }
$0 == "," { if (kind[depth] == "o") expectkey = 1; next }
{
  if (expectkey) { keyat[depth] = unquote($0); expectkey = 0; next }
  print path() (substr($0, 1, 1) == "\"" ? unquote($0) : $0)
  done()
}
