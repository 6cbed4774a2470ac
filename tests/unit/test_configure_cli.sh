#!/bin/bash
# test_configure_cli.sh TANDEM DATA_DIR: `tandem configure` on a CIB file
# (CIB_file), as a user runs it: the seeds' configuration lines, show,
# errors that leave the file alone, delete, edit with a scripted EDITOR,
# load update/replace, script mode, verify. Agents are the stand-ins of
# DATA_DIR (data/crm). No daemon is involved.
set -uo pipefail
tandem=$1 data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CIB_file=$work/cib.xml OCF_ROOT=$data/ocf PATH=$data/fence:$PATH TANDEM_RUN_DIR=$work/run
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
# expect_out NAME EXPECTED CMD...: stdout of CMD (which must succeed).
expect_out() {
    local name=$1 want=$2 got rc; shift 2
    got=$("$@" 2>"$work/err"); rc=$?
    if [ $rc != 0 ]; then bad "$name: exit status $rc ($(cat "$work/err"))"; return; fi
    [ "$got" = "$want" ] && ok || bad "$name: got:"$'\n'"$got"$'\n'"wanted:"$'\n'"$want"
}
# expect_fail NAME STATUS MESSAGE CMD...: CMD fails with STATUS, says
# MESSAGE on stderr, and the CIB file stays byte for byte the same.
expect_fail() {
    local name=$1 status=$2 msg=$3 rc; shift 3
    cp "$CIB_file" "$work/before" 2>/dev/null || : > "$work/before"
    "$@" >/dev/null 2>"$work/err"; rc=$?
    [ $rc = "$status" ] || { bad "$name: exit status $rc, wanted $status"; return; }
    grep -qF -- "$msg" "$work/err" || { bad "$name: stderr lacks '$msg': $(cat "$work/err")"; return; }
    if [ -s "$work/before" ] && ! cmp -s "$work/before" "$CIB_file"; then bad "$name: the CIB changed"; return; fi
    ok
}
epoch() { sed -n 's/.*<cib [^>]* epoch="\([0-9]*\)".*/\1/p' "$CIB_file"; }

# Without CIB_file the daemon would be asked, and it is not there.
expect_fail "no daemon" 3 "the cluster daemon is not running" env -u CIB_file "$tandem" configure show

# Seed 002: maintenance mode first. The file is created.
expect_out "property" "" "$tandem" configure property maintenance-mode=true
[ "$(epoch)" = 1 ] && ok || bad "epoch after the first write: $(epoch)"

# Seed 000, with the primitives its lines name.
expect_out "drbd primitive" "" "$tandem" configure primitive res_drbd_VirtDom1 ocf:linbit:drbd \
    params drbd_resource=VirtDom1 op monitor interval=29s role=Master op monitor interval=31s role=Slave
expect_out "vm primitive" "" "$tandem" configure primitive res_VirtDom1 ocf:heartbeat:VirtualDomain \
    params config=/etc/libvirt/qemu/VirtDom1.xml meta allow-migrate="true"
expect_out "ms" "" "$tandem" configure ms ms_drbd_VirtDom1 res_drbd_VirtDom1 \
    meta master-max="2" master-node-max="1" clone-max="2" clone-node-max="1" notify="true"
expect_out "colocation" "" "$tandem" configure colocation c_virtdom1_on_drbd inf: res_VirtDom1 ms_drbd_VirtDom1:Master
expect_out "order" "" "$tandem" configure order o_drbd_before_virtdom1 inf: ms_drbd_VirtDom1:promote res_VirtDom1:start
[ "$(epoch)" = 6 ] && ok || bad "epoch after six writes: $(epoch)"

seed_show='primitive res_VirtDom1 VirtualDomain \
	params config="/etc/libvirt/qemu/VirtDom1.xml" \
	meta allow-migrate=true
primitive res_drbd_VirtDom1 ocf:linbit:drbd \
	params drbd_resource=VirtDom1 \
	op monitor interval=29s role=Promoted \
	op monitor interval=31s role=Unpromoted
clone ms_drbd_VirtDom1 res_drbd_VirtDom1 \
	meta promoted-max=2 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true promotable=true
colocation c_virtdom1_on_drbd inf: res_VirtDom1 ms_drbd_VirtDom1:Promoted
order o_drbd_before_virtdom1 Mandatory: ms_drbd_VirtDom1:promote res_VirtDom1:start
property cib-bootstrap-options: \
	maintenance-mode=true'
expect_out "show" "$seed_show" "$tandem" configure show
expect_out "show one" "colocation c_virtdom1_on_drbd inf: res_VirtDom1 ms_drbd_VirtDom1:Promoted" \
    "$tandem" configure show c_virtdom1_on_drbd
"$tandem" configure show xml | grep -q '<clone id="ms_drbd_VirtDom1">' && ok || bad "show xml"

# Pacemaker's own checker accepts the file, if it is installed.
"$tandem" configure property stonith-enabled=false
if command -v crm_verify >/dev/null; then
    crm_verify -x "$CIB_file" 2>&1 | grep -i "validity error" && bad "crm_verify: schema errors" || ok
fi

# Every check fails before the file changes, naming word and place.
expect_fail "unknown resource" 1 "<command line>:1:33: colocation c2: unknown resource 'nosuch'" \
    "$tandem" configure colocation c2 inf: res_VirtDom1 nosuch
expect_fail "duplicate id" 1 "<command line>:1:11: id 'res_VirtDom1' is already in use by a primitive" \
    "$tandem" configure primitive res_VirtDom1 Dummy
expect_fail "invalid score" 1 "<command line>:1:15: invalid score 'lots'" \
    "$tandem" configure colocation c2 lots: res_VirtDom1 ms_drbd_VirtDom1
expect_fail "invalid role" 1 "<command line>:1:33: invalid role 'Boss'" \
    "$tandem" configure colocation c2 inf: res_VirtDom1 ms_drbd_VirtDom1:Boss
expect_fail "unknown agent" 1 "primitive p: unknown resource agent ocf:heartbeat:Nosuch" \
    "$tandem" configure primitive p ocf:heartbeat:Nosuch
expect_fail "missing parameter" 1 "<command line>:1:15: primitive vm2: missing required parameter 'config'" \
    "$tandem" configure primitive vm2 VirtualDomain
expect_fail "unknown parameter" 1 "<command line>:1:26: primitive p: the agent ocf:heartbeat:Dummy has no parameter 'bogus'" \
    "$tandem" configure primitive p Dummy params bogus=1
expect_fail "syntax" 1 "<command line>:1:19: unexpected 'bogus'" "$tandem" configure primitive p Dummy bogus
expect_fail "unknown command" 1 "unknown command 'frob'" "$tandem" configure frob

# Script mode: a failing line leaves the file as it was...
expect_fail "script error" 1 "<stdin>:2:" "$tandem" configure <<'IN'
primitive p_ok Dummy
primitive p_bad Dummy params nope=1
IN
# ... and a good script commits at the end (and at commit).
expect_out "script" "primitive p_script Dummy" "$tandem" configure <<'IN'
primitive p_script Dummy
commit
location l_script p_script \
    100: alice
show p_script
IN
expect_out "script committed" "location l_script p_script 100: alice" "$tandem" configure show l_script

# delete takes the constraints left hanging along.
expect_out "delete" "" "$tandem" configure delete p_script
expect_fail "deleted" 1 "object 'l_script' does not exist" "$tandem" configure show l_script

# edit with a scripted EDITOR.
EDITOR="sed -i s/promoted-max=2/promoted-max=1/" expect_out "edit" "" "$tandem" configure edit
"$tandem" configure show ms_drbd_VirtDom1 | grep -q "promoted-max=1 " && ok || bad "edit did not apply"
EDITOR="sed -i s/allow-migrate=true/allow-migrate=false/" expect_out "edit one" "" \
    "$tandem" configure edit res_VirtDom1
"$tandem" configure show res_VirtDom1 | grep -q "allow-migrate=false" && ok || bad "edit of one object"
"$tandem" configure show c_virtdom1_on_drbd | grep -q colocation && ok || bad "edit lost a constraint"

# Editing a primitive inside a clone keeps it there.
EDITOR="sed -i s/interval=29s/interval=27s/" expect_out "edit in clone" "" \
    "$tandem" configure edit res_drbd_VirtDom1
"$tandem" configure show xml ms_drbd_VirtDom1 | grep -q 'id="res_drbd_VirtDom1-monitor-27s"' && ok ||
    bad "the edited primitive left its clone"
# An edited property set is written anew: a line removed is gone.
EDITOR="sed -i /maintenance-mode/d" expect_out "edit property" "" \
    "$tandem" configure edit cib-bootstrap-options
expect_out "edit property result" "property cib-bootstrap-options: \\
	stonith-enabled=false" "$tandem" configure show cib-bootstrap-options
# The text may not take the id of an object it did not show.
cat > "$work/editor-steal" <<'ED'
#!/bin/sh
grep -q '^# ERROR' "$1" && exit 0
echo 'primitive res_VirtDom1 Dummy' >> "$1"
ED
chmod +x "$work/editor-steal"
EDITOR=$work/editor-steal expect_fail "edit steals an id" 1 \
    "edit:3:11: id 'res_VirtDom1' is already in use by an object not in this edit" \
    "$tandem" configure edit cib-bootstrap-options

# An invalid edit comes back with the error on top; left alone, nothing
# changes; fixed, it applies.
cat > "$work/editor-giveup" <<ED
#!/bin/sh
if grep -q '^# ERROR' "\$1"; then cp "\$1" "$work/seen"; exit 0; fi
echo 'colocation c_bad inf: nosuch ms_drbd_VirtDom1' >> "\$1"
ED
cat > "$work/editor-fix" <<ED
#!/bin/sh
if grep -q '^# ERROR' "\$1"; then sed -i s/nosuch/res_VirtDom1/ "\$1"; exit 0; fi
echo 'colocation c_fixed inf: nosuch ms_drbd_VirtDom1' >> "\$1"
ED
chmod +x "$work/editor-giveup" "$work/editor-fix"
EDITOR=$work/editor-giveup expect_fail "edit error" 1 "edit:14:23: colocation c_bad: unknown resource 'nosuch'" \
    "$tandem" configure edit
head -1 "$work/seen" | grep -qF "# ERROR: edit:14:23: colocation c_bad: unknown resource 'nosuch'" && ok ||
    bad "the error is not shown in the editor: $(head -2 "$work/seen")"
EDITOR=$work/editor-fix expect_out "edit fixed" "" "$tandem" configure edit
expect_out "edit fixed shows" "colocation c_fixed inf: res_VirtDom1 ms_drbd_VirtDom1" \
    "$tandem" configure show c_fixed
EDITOR=true expect_out "edit unchanged" "" "$tandem" configure edit

# A change made on a CIB that another command wrote meanwhile is refused.
cat > "$work/editor-race" <<ED
#!/bin/sh
"$tandem" configure property race=1
sed -i s/allow-migrate=false/allow-migrate=true/ "\$1"
ED
chmod +x "$work/editor-race"
EDITOR=$work/editor-race "$tandem" configure edit res_VirtDom1 2>"$work/err" && bad "concurrent write: accepted" ||
    { grep -q "changed since it was read" "$work/err" && ok || bad "concurrent write: $(cat "$work/err")"; }
"$tandem" configure show cib-bootstrap-options | grep -q "race=1" && ok || bad "the other write was lost"
"$tandem" configure show res_VirtDom1 | grep -q "allow-migrate=false" && ok || bad "the stale edit was written"
"$tandem" configure delete cib-bootstrap-options
"$tandem" configure property stonith-enabled=false

# load update replaces objects of the same id and adds the others.
cat > "$work/update.crm" <<'CRM'
primitive res_VirtDom1 VirtualDomain \
	params config=/etc/libvirt/qemu/other.xml \
	meta allow-migrate=true
location l_prefer res_VirtDom1 50: alice
CRM
expect_out "load update" "" "$tandem" configure load update "$work/update.crm"
"$tandem" configure show res_VirtDom1 | grep -q "other.xml" && ok || bad "load update did not replace"
expect_out "load update added" "location l_prefer res_VirtDom1 50: alice" "$tandem" configure show l_prefer
expect_fail "load missing" 1 "cannot read $work/nosuch.crm" "$tandem" configure load update "$work/nosuch.crm"
printf 'primitive x Dummy\ncolocation c inf: x nosuch\n' > "$work/bad.crm"
expect_fail "load error" 1 "$work/bad.crm:2:21: colocation c: unknown resource 'nosuch'" \
    "$tandem" configure load update "$work/bad.crm"

# load replace: the whole configuration is the file's.
printf 'primitive only Dummy\nproperty stonith-enabled=false\n' > "$work/replace.crm"
expect_out "load replace" "" "$tandem" configure load replace "$work/replace.crm"
expect_out "replaced" "primitive only Dummy
property cib-bootstrap-options: \\
	stonith-enabled=false" "$tandem" configure show
grep -q "<status" "$CIB_file" && ok || bad "load replace lost the status section"

# verify: the file as it stands.
expect_out "verify" "" "$tandem" configure verify
sed -i 's|<primitive id="only" class="ocf" provider="heartbeat" type="Dummy"/>|<primitive id="only" class="ocf" provider="heartbeat" type="VirtualDomain"/>|' "$CIB_file"
expect_fail "verify error" 1 "primitive only: missing required parameter 'config'" "$tandem" configure verify

# A CIB written by Pacemaker, with what the language has no words for.
cp "$data/existing-cib.xml" "$work/existing.xml"
expect_out "existing show" "$(cat "$data/existing-cib.show")" env CIB_file="$work/existing.xml" "$tandem" configure show
# Editing one object leaves the others as they were, byte for byte.
EDITOR="sed -i s/memory=1024/memory=2048/" expect_out "existing edit one" "" \
    env CIB_file="$work/existing.xml" "$tandem" configure edit vm1
expect_out "existing edit one shows" "$(sed s/memory=1024/memory=2048/ "$data/existing-cib.show")" \
    env CIB_file="$work/existing.xml" "$tandem" configure show
grep -q '<master id="ms_drbd_r0">' "$work/existing.xml" && ok || bad "edit of vm1 rewrote the ms"
EDITOR="sed -i 's/loss-policy=.stop./loss-policy=\"demote\"/'" expect_out "existing edit xml" "" \
    env CIB_file="$work/existing.xml" "$tandem" configure edit t_vm1
grep -q 'loss-policy="demote"' "$work/existing.xml" && ok || bad "edit of an xml object"
# A full edit rewrites the legacy words but keeps the rest: templates,
# tickets, resource sets, tags, the status section.
EDITOR="sed -i s/resource-stickiness=100/resource-stickiness=200/" expect_out "existing edit" "" \
    env CIB_file="$work/existing.xml" "$tandem" configure edit
for what in 'resource-stickiness" value="200"' '<template id="vm-template"' '<rsc_ticket id="t_vm1"' \
    '<resource_set id="o_set-0"' '<tag id="vms">' '<node_state id="1"' 'epoch="44"' '<clone id="ms_drbd_r0">'; do
    grep -qF "$what" "$work/existing.xml" && ok || bad "after a full edit, no $what"
done

# The real agents, when resource-agents is installed: their meta-data
# decide, as on a cluster.
if [ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ] && [ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ]; then
    OCF_ROOT=/usr/lib/ocf expect_out "real agent" "" "$tandem" configure primitive real ocf:heartbeat:Dummy \
        params state=/run/real op monitor interval=10s
    OCF_ROOT=/usr/lib/ocf expect_fail "real agent parameter" 1 \
        "primitive vm: missing required parameter 'config' of ocf:heartbeat:VirtualDomain" \
        "$tandem" configure primitive vm ocf:heartbeat:VirtualDomain params hypervisor=qemu:///system
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
