#!/bin/sh
# A stand-in OCF agent for the crm tests: answers meta-data with the
# parameters of the real agent of the same name (only those the tests
# need), and fails every other action.
name=$(basename "$0")
case $name in
Dummy) params='state:0 fake:0' ;;
VirtualDomain) params='config:1 hypervisor:0 migration_transport:0' ;;
drbd) params='drbd_resource:1 drbdconf:0' ;;
Stateful) params='state:0 envfile:0' ;;
fence_dummy) params='plug:0 action:0 delay:0' ;;
Broken) exit 1 ;;
Garbage) echo 'this is not XML'; exit 0 ;;
*) exit 1 ;;
esac
case $1 in
meta-data|-o) ;;
*) exit 3 ;;
esac
echo '<?xml version="1.0"?>'
echo "<resource-agent name=\"$name\" version=\"1.0\"><version>1.1</version><parameters>"
for p in $params; do
    echo "<parameter name=\"${p%:*}\" required=\"${p#*:}\"><content type=\"string\"/></parameter>"
done
echo '</parameters><actions><action name="start" timeout="20s"/></actions></resource-agent>'
