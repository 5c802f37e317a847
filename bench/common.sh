# Shared by the bench scripts (sourced, not run).

# sign_in BASE_URL USERNAME PASSWORD JAR: logs in through the real form (CSRF token from the
# login page) and prints the session cookie's value.
sign_in() {
  local base=$1 username=$2 password=$3 jar=$4 token
  rm -f "$jar"
  token=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null "$base/login" --data-urlencode "csrf_token=$token" \
    --data-urlencode "username=$username" --data-urlencode "password=$password"
  grep -o 'pesiar\s[^ ]*$' "$jar" | awk '{print $2}' | tail -1
}
